"""ISAL networks of paper 003 (MODELS.md section 2): integrated sensing and localization.

Modules, one job each:

- :mod:`.scenario` -- :class:`ISALNetwork` (anchors, radars, one target; sync/async; one or more slots);
- :mod:`.links` -- the link list of eq. (10)/(21) and its networkx graph;
- :mod:`.parameters` -- layout of the unknown-parameter vector (radars, clock offsets in metres, target);
- :mod:`.measurements` -- link delays, their Jacobian, range-information intensities (14)-(15);
- :mod:`.fisher` -- FIM linear in the node powers, temporal priors (19)/(24), equilibration, SPEBs;
- :mod:`.stepwise` -- information carried between the steps of the step-by-step scheme;
- :mod:`.solution` / :mod:`.metrics` -- SPEB metrics of a power allocation;
- :mod:`.networks` -- the shipped scenario files; :mod:`.conclusions` -- the paper's claims, measured;
- :mod:`.strategies` -- ``integrated`` and ``step-by-step`` allocation.
"""
