r"""The accords on finer units: zones d'emploi, gigafactory zones, sectors (issue 11).

Three designs, each a set of pure functions from :mod:`reindus.data` tables to
the inputs (and, where no estimator of :mod:`reindus.evaluation` fits, the
outputs) of an evaluation:

1. **Zones d'emploi of signing regions against zones of non-signing regions.**
   The quarterly CVS panel of the 305 zones d'emploi (2012Q1–2025Q4). Treatment
   is assigned by *region*: every zone of a signing region is treated from the
   region's treatment quarter. Inference must respect that: with two treated
   regions out of eleven, zone-level standard errors would treat thirty-odd
   zones as independent draws when they share one decision. Two inferences are
   given: CR1 errors clustered by region (Student *t* with :math:`G-1` degrees
   of freedom; unreliable with two treated clusters, shown because it is
   standard) and **randomisation over regions** (the treatment dates are
   re-assigned to every ordered set of eligible regions; exact under the sharp
   null and exchangeable regions), whose test is inverted into an interval.
2. **Gigafactory zones** (ACC, AESC, Verkor, ProLogium), each its own event
   study with a synthetic control built from zones outside the accord regions,
   dated by :func:`reindus.data.industrial_events`.
3. **Region x sector outcomes**: each industrial sector, and industry without
   CI-CJ (electrical equipment, batteries included), for the one-region
   estimators.

Zones coded ``00xx`` span several regions; :func:`reindus.data.zone_employment`
assigns each to the region holding most of its area. Their treatment status is
ambiguous when they straddle a signing and a non-signing region, so the zone
design drops them by default.
"""

from __future__ import annotations

from reindus.designs.accords.covariance import ar1_event_covariance, placebo_gap_ar1
from reindus.designs.accords.gigafactories import (
    BATTERY_SECTOR_NA38,
    GIGAFACTORIES,
    event_quarter,
    gigafactory_design,
    gigafactory_donors,
    host_zones,
    zone_profile,
)
from reindus.designs.accords.sectors import BATTERY_SECTOR_NA28, sector_effects, sector_outcomes
from reindus.designs.accords.zone_estimates import region_assignments, region_did, zone_event_study
from reindus.designs.accords.zones import zone_assignment, zone_panel, zone_regions

__all__ = [
    "BATTERY_SECTOR_NA28", "BATTERY_SECTOR_NA38", "GIGAFACTORIES",
    "ar1_event_covariance", "event_quarter", "gigafactory_design", "gigafactory_donors",
    "host_zones", "placebo_gap_ar1", "region_assignments", "region_did", "sector_effects",
    "sector_outcomes", "zone_assignment", "zone_event_study", "zone_panel", "zone_profile",
    "zone_regions",
]
