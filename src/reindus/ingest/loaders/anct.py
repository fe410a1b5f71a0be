"""Loader of the Territoires d'industrie membership (ANCT), both waves.

The programme *Territoires d'industrie* labels groups of intercommunalités
(EPCI). ANCT publishes no single membership table; its cartography service
publishes one GeoJSON per wave, each feature a territory with a dissolved
perimeter and its members as text:

* wave 1 (2018-2022, 149 territories): ``id_ti``, ``lib_ti``,
  ``lib_groupement`` and ``siren_groupement``, the names and the SIREN codes
  of the members as two comma-joined lists. Some names contain commas
  ("CA de Béthune-Bruay, Artois-Lys Romane"), so the members are split on the
  SIREN list, never on the names. The repository joined the list to the 2025
  EPCI layer before dissolving, so groupements that no longer existed in
  2025 may be missing (the file cannot tell which).
* wave 2 (2023-2027, 183 territories): ``id_territoire``, ``lib_territoire``
  and ``liste_geo`` = ``'Name (SIREN); Name (SIREN); ...'``; names may hold
  parentheses ("CA ... (CIREST) (249740093)"), so the list is parsed on the
  trailing nine-digit code of each item.

The same ``ti-RRNN`` identifier denotes different territories in the two
files (``ti-1104`` is Grand-Orly Seine Bièvre in wave 1 and Grand Roissy Le
Bourget in wave 2): waves must never be joined on ``territory_id``, only on
``epci_code``.

Members are reconciled with the COG 2026 (``cog_epci``, ``cog_communes`` in
the raw directory). A few members are not EPCI: communes (by their SIREN,
when a territory covers only part of a métropole) and établissements publics
territoriaux (EPT) of the Métropole du Grand Paris. They are kept, flagged by
``member_type`` and ``in_cog_2026 = False``, and linked through
``cog_epci_code`` to the COG 2026 EPCI that contains them, never dropped.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from reindus.errors import DataError
from reindus.ingest.io import read_json_checked
from reindus.ingest.loaders import _checks as ck
from reindus.ingest.loaders import _reference as ref
from reindus.ingest.loaders._registry import processed_table
from reindus.ingest.sources import get

#: wave number -> (source id, territory id field, label field, labelling years)
WAVES: dict[int, tuple[str, str, str, str]] = {
    1: ("anct_ti_2018_2022", "id_ti", "lib_ti", "2018-2022"),
    2: ("anct_ti_2023_2027", "id_territoire", "lib_territoire", "2023-2027"),
}
COLUMNS = ["wave", "territory_id", "territory", "epci_code", "epci_label", "in_cog_2026",
           "member_type", "cog_epci_code"]
MEMBER_TYPES = ("epci", "commune", "ept", "unknown")

_SIREN = re.compile(r"^\d{9}$")
_TERRITORY_ID = re.compile(r"^ti-\d{4}$")
# One item of the wave-2 list: a name (anything, parentheses included) and a SIREN.
_ITEM = re.compile(r"\s*(?P<name>.+?)\s*\((?P<siren>\d{9})\)\s*(?:;|$)")
_GRAND_PARIS = "Métropole du Grand Paris"


def _features(path: Path, required: list[str]) -> list[dict]:
    obj = read_json_checked(path)
    if not isinstance(obj, dict) or obj.get("type") != "FeatureCollection":
        raise DataError(path, "not a GeoJSON FeatureCollection", ck.REFETCH)
    feats = obj.get("features")
    if not isinstance(feats, list) or not feats:
        raise DataError(path, "the FeatureCollection has no features", ck.REFETCH)
    props = []
    for i, f in enumerate(feats):
        p = f.get("properties") if isinstance(f, dict) else None
        if not isinstance(p, dict):
            raise DataError(path, f"feature {i} has no properties", ck.REFETCH)
        missing = [c for c in required if not isinstance(p.get(c), str) or not p[c].strip()]
        if missing:
            raise DataError(path, f"feature {i} ({p.get(required[0])!r}) lacks the text "
                            f"property(ies) {missing}", ck.REFETCH)
        props.append(p)
    return props


def _parse_wave1(props: list[dict], path: Path) -> pd.DataFrame:
    """Split on the SIREN list; names are attributed only when the lists align."""
    rows = []
    for p in props:
        tid = p["id_ti"]
        sirens = [s.strip() for s in p["siren_groupement"].split(",")]
        bad = [s for s in sirens if not _SIREN.match(s)]
        if bad:
            raise DataError(path, f"territory {tid}: {bad[0]!r} in siren_groupement is not a "
                            "nine-digit SIREN code", "correct the list or " + ck.REFETCH)
        names = [n.strip() for n in p["lib_groupement"].split(", ")]
        # Names with commas make the name list longer than the code list: then the names
        # cannot be attributed without guessing, and the COG 2026 name is used instead.
        aligned = names if len(names) == len(sirens) else [None] * len(sirens)
        rows += [(1, tid, p["lib_ti"].strip(), s, n) for s, n in zip(sirens, aligned,
                                                                      strict=True)]
    return pd.DataFrame(rows, columns=COLUMNS[:5])


def _parse_wave2(props: list[dict], path: Path) -> pd.DataFrame:
    rows = []
    for p in props:
        tid, text = p["id_territoire"], p["liste_geo"]
        pos, items = 0, []
        for m in _ITEM.finditer(text):
            if m.start() != pos:
                break
            items.append((m["siren"], m["name"]))
            pos = m.end()
        if pos != len(text) or not items:
            raise DataError(path, f"territory {tid}: cannot read liste_geo after character "
                            f"{pos} ({text[pos:pos + 40]!r}); expected 'Name (SIREN); ...'",
                            "correct the list or " + ck.REFETCH)
        rows += [(2, tid, p["lib_territoire"].strip(), s, n) for s, n in items]
    return pd.DataFrame(rows, columns=COLUMNS[:5])


def _cog(raw_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """COG 2026 EPCI (code, name, type) and current communes (SIREN -> EPCI code)."""
    epci_path = raw_dir / get("cog_epci").file
    com_path = raw_dir / get("cog_communes").file
    # Every record must carry the fields used below (DataError naming the record otherwise).
    epci = ref._records(epci_path, ("code", "nom"))
    communes = ref._records(com_path, ("code", "type"))
    e = pd.DataFrame([(x["code"], x["nom"], x.get("type")) for x in epci],
                     columns=["code", "nom", "type"])
    member_of = {m["code"]: x["code"] for x in epci for m in x.get("membres", [])}
    c = pd.DataFrame([(x["siren"], x["code"], x.get("nom")) for x in communes
                      if x.get("type") == "commune-actuelle" and x.get("siren")],
                     columns=["siren", "commune_code", "commune"])
    c["epci_code"] = c["commune_code"].map(member_of)
    return e, c.drop_duplicates("siren")


@processed_table("ti_membership", sources=("anct_ti_2018_2022", "anct_ti_2023_2027", "cog_epci", "cog_communes"))
def load_ti_membership(raw_dir: Path) -> pd.DataFrame:
    """Tidy EPCI x wave membership of the Territoires d'industrie programme.

    Returns
    -------
    pandas.DataFrame
        One row per territory x member, sorted by wave, territory_id, epci_code:

        ``wave`` (int: 1 = 2018-2022, 2 = 2023-2027); ``territory_id`` (``ti-RRNN``,
        meaningful *within* a wave only); ``territory`` (label); ``epci_code``
        (SIREN of the member as published); ``epci_label`` (name as published
        when it can be attributed to the code, otherwise the COG 2026 name);
        ``in_cog_2026`` (bool: the code is an EPCI of the COG 2026);
        ``member_type`` ('epci', 'commune', 'ept' or 'unknown');
        ``cog_epci_code`` (the COG 2026 EPCI holding the member: itself for an
        EPCI, the commune's EPCI for a commune, the Métropole du Grand Paris
        for an EPT; missing if unknown).

    Raises
    ------
    DataError
        When a file is missing, is not a FeatureCollection, lacks a property,
        holds a malformed SIREN list or territory id, or repeats a territory
        or a member within a wave.
    """
    frames = []
    for wave, (sid, id_field, label_field, _) in WAVES.items():
        path = raw_dir / get(sid).file
        list_field = "siren_groupement" if wave == 1 else "liste_geo"
        props = _features(path, [id_field, label_field, list_field]
                          + (["lib_groupement"] if wave == 1 else []))
        df = _parse_wave1(props, path) if wave == 1 else _parse_wave2(props, path)
        bad_id = df.loc[~df["territory_id"].str.match(_TERRITORY_ID), "territory_id"]
        if len(bad_id):
            raise DataError(path, f"territory id {bad_id.iloc[0]!r} is not of the form ti-RRNN",
                            ck.REFETCH)
        ids = pd.Series([p[id_field] for p in props])
        if ids.duplicated().any():
            raise DataError(path, f"territory {ids[ids.duplicated()].iloc[0]!r} appears in two "
                            "features", "keep one feature per territory or " + ck.REFETCH)
        dup = df["epci_code"].duplicated(keep=False)
        if dup.any():
            # A member listed twice in a wave would be counted twice as treated.
            d = df.loc[dup].iloc[0]
            where = sorted(df.loc[df["epci_code"] == d["epci_code"], "territory_id"])
            raise DataError(path, f"member {d['epci_code']} is listed {int((df['epci_code'] == d['epci_code']).sum())} "
                            f"times in wave {wave} (territories {where})",
                            "keep one row per member and wave, or " + ck.REFETCH)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)

    epci, communes = _cog(raw_dir)
    names = epci.set_index("code")["nom"]
    out["in_cog_2026"] = out["epci_code"].isin(names.index)
    commune_epci = communes.set_index("siren")["epci_code"]
    is_commune = ~out["in_cog_2026"] & out["epci_code"].isin(commune_epci.index)
    is_ept = (~out["in_cog_2026"] & ~is_commune
              & out["epci_label"].fillna("").str.match(r"^EPT\b"))
    # EPT listed in wave 1 only by code are recognised from their wave-2 label.
    ept_codes = set(out.loc[is_ept, "epci_code"])
    is_ept |= ~out["in_cog_2026"] & ~is_commune & out["epci_code"].isin(ept_codes)
    out["member_type"] = "unknown"
    out.loc[out["in_cog_2026"], "member_type"] = "epci"
    out.loc[is_commune, "member_type"] = "commune"
    out.loc[is_ept, "member_type"] = "ept"
    grand_paris = epci.loc[epci["nom"] == _GRAND_PARIS, "code"]
    out["cog_epci_code"] = pd.Series(pd.NA, index=out.index, dtype="str")
    out.loc[out["in_cog_2026"], "cog_epci_code"] = out["epci_code"]
    out.loc[is_commune, "cog_epci_code"] = out.loc[is_commune, "epci_code"].map(commune_epci)
    if len(grand_paris) == 1:
        out.loc[is_ept, "cog_epci_code"] = grand_paris.iloc[0]
    out["epci_label"] = (out["epci_label"].fillna(out["epci_code"].map(names))
                         .fillna(out["epci_code"].map(communes.set_index("siren")["commune"])))
    out["wave"] = out["wave"].astype("int64")
    out["in_cog_2026"] = out["in_cog_2026"].astype(bool)
    return out[COLUMNS].sort_values(["wave", "territory_id", "epci_code"]).reset_index(drop=True)


def unmatched(membership: pd.DataFrame) -> pd.DataFrame:
    """Members whose code is not an EPCI of the COG 2026, with how they were reconciled."""
    return membership.loc[~membership["in_cog_2026"]].reset_index(drop=True)
