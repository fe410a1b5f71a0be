"""Study designs: who is treated, when, and on which panel.

A *design* turns the data of :mod:`reindus.data` into the inputs of the
estimators of :mod:`reindus.evaluation`: the panel (units x periods), the treated
units and their first treated period, the controls, and the level at which
treatment was assigned (which decides how inference must be done).

- :mod:`.accords`: the Région–Intercommunalités de France accords on the
  quarterly zone d'emploi panel (treatment assigned by region), the battery
  gigafactory zones dated by the industrial-events registry, and the
  region x sector outcomes.
"""
