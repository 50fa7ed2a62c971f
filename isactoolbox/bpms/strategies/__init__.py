"""Beamforming strategies of 004: WCRB (15), WBF (16)-(18), WVM (19) as FDB / CPA, and APA."""
