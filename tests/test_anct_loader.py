"""Territoires d'industrie membership: counts, known members, reconciliation, bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from reindus import data
from reindus.errors import DataError
from reindus.ingest.loaders.anct import COLUMNS, MEMBER_TYPES, load_ti_membership, unmatched

BETHUNE = "200072460"  # CA de Béthune-Bruay, Artois-Lys Romane


@pytest.fixture(scope="module")
def ti() -> pd.DataFrame:
    return data.ti_membership()


# --------------------------------------------------------------------------- real table
def test_territory_counts_per_wave(ti: pd.DataFrame) -> None:
    counts = ti.groupby("wave")["territory_id"].nunique()
    assert counts.to_dict() == {1: 149, 2: 183}


def test_member_counts_match_the_registry(ti: pd.DataFrame) -> None:
    """588 territory x SIREN pairs in wave 1 and 641 in wave 2 (data/sources.toml)."""
    assert ti.groupby("wave").size().to_dict() == {1: 588, 2: 641}
    # about 550 and 640 EPCI: the published orders of magnitude
    epci = ti[ti["member_type"] == "epci"].groupby("wave")["epci_code"].nunique()
    assert 530 <= epci[1] <= 570 and 610 <= epci[2] <= 650


def test_bethune_bruay_in_both_waves(ti: pd.DataFrame) -> None:
    rows = ti[ti["epci_code"] == BETHUNE]
    assert sorted(rows["wave"]) == [1, 2]
    assert rows["in_cog_2026"].all()
    # its name contains a comma: the wave-1 list must be split on the codes
    assert set(rows["epci_label"]) == {"CA de Béthune-Bruay, Artois-Lys Romane"}
    w1 = ti[(ti["wave"] == 1) & (ti["territory_id"] == rows.loc[rows["wave"] == 1,
                                                                 "territory_id"].iloc[0])]
    assert len(w1) == 3  # Béthune-Bruay, Hénin-Carvin, Lens-Liévin


def test_columns_and_types(ti: pd.DataFrame) -> None:
    assert list(ti.columns) == COLUMNS
    assert ti["wave"].dtype == "int64" and ti["in_cog_2026"].dtype == bool
    assert ti["epci_code"].str.fullmatch(r"\d{9}").all()
    assert ti["territory_id"].str.fullmatch(r"ti-\d{4}").all()
    assert set(ti["member_type"]) <= set(MEMBER_TYPES)
    assert ti["epci_label"].notna().all()
    assert not ti.duplicated(["wave", "epci_code"]).any()


def test_same_id_means_different_territories(ti: pd.DataFrame) -> None:
    """ti-1104 is Grand-Orly Seine Bièvre in wave 1 and Grand Roissy Le Bourget in wave 2."""
    lab = ti[ti["territory_id"] == "ti-1104"].groupby("wave")["territory"].first()
    assert lab[1] != lab[2]


def test_every_member_reconciled_with_cog_2026(ti: pd.DataFrame) -> None:
    """Unmatched codes are communes or EPT, each linked to its COG 2026 EPCI, none dropped."""
    u = unmatched(ti)
    assert len(u) == (588 - 547) + (641 - 626)
    assert set(u["member_type"]) == {"commune", "ept"}
    assert u["cog_epci_code"].notna().all()
    assert set(u.loc[u["member_type"] == "ept", "cog_epci_code"]) == {"200054781"}  # Grand Paris
    cog = set(data.geography("epci")["epci_code"])
    assert set(ti["cog_epci_code"]) <= cog
    assert (ti["in_cog_2026"] == ti["epci_code"].isin(cog)).all()


@pytest.mark.mirror
def test_loader_on_fetched_files_equals_processed_table(raw_dir: Path, ti: pd.DataFrame
                                                        ) -> None:
    pd.testing.assert_frame_equal(load_ti_membership(raw_dir), ti)


# --------------------------------------------------------------------------- small raw files
def _fc(props: list[dict]) -> dict:
    return {"type": "FeatureCollection",
            "features": [{"type": "Feature", "properties": p, "geometry": None} for p in props]}


WAVE1 = [
    {"id_ti": "ti-3204", "lib_ti": "Artois",
     "lib_groupement": "CA de Béthune-Bruay, Artois-Lys Romane, CA de Lens - Liévin",
     "siren_groupement": "200072460, 246200364"},
    {"id_ti": "ti-9301", "lib_ti": "Aix-Marseille-Provence", "lib_groupement": "Fos-sur-Mer",
     "siren_groupement": "211300397"},
    {"id_ti": "ti-1104", "lib_ti": "Grand-Orly Seine Bièvre",
     "lib_groupement": "EPT Grand-Orly Seine Bièvre", "siren_groupement": "200058014"},
]
WAVE2 = [
    {"id_territoire": "ti-1104", "lib_territoire": "Grand Roissy Le Bourget",
     "liste_geo": "EPT Paris Terres d'Envol (200058097)"},
    {"id_territoire": "ti-3205", "lib_territoire": "Artois",
     "liste_geo": "CA de Béthune-Bruay, Artois-Lys Romane (200072460); "
                  "CA du Pays (CAP) (246200380)"},
]
COG_EPCI = [
    {"code": "200072460", "nom": "CA de Béthune-Bruay, Artois-Lys Romane", "type": "CA",
     "membres": [{"code": "62119", "nom": "Béthune"}]},
    {"code": "246200364", "nom": "CA de Lens - Liévin", "type": "CA", "membres": []},
    {"code": "246200380", "nom": "CA du Pays", "type": "CA", "membres": []},
    {"code": "200054807", "nom": "Métropole d'Aix-Marseille-Provence", "type": "METRO",
     "membres": [{"code": "13039", "nom": "Fos-sur-Mer"}]},
    {"code": "200054781", "nom": "Métropole du Grand Paris", "type": "METRO", "membres": []},
]
COG_COMMUNES = [
    {"code": "13039", "nom": "Fos-sur-Mer", "type": "commune-actuelle", "siren": "211300397"},
    {"code": "62119", "nom": "Béthune", "type": "commune-actuelle", "siren": "216201199"},
]


def make_raw(tmp_path: Path, wave1=None, wave2=None, epci=None, communes=None) -> Path:
    def fc(x):
        return x if isinstance(x, str) else _fc(x)

    files = {
        "anct/territoires-industrie-2018-2022.geojson": fc(WAVE1 if wave1 is None else wave1),
        "anct/territoires-industrie-2023-2027.geojson": fc(WAVE2 if wave2 is None else wave2),
        "geography/cog-2026/epci.json": COG_EPCI if epci is None else epci,
        "geography/cog-2026/communes.json": COG_COMMUNES if communes is None else communes,
    }
    for rel, obj in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(obj if isinstance(obj, str) else json.dumps(obj), encoding="utf-8")
    return tmp_path


def test_small_files_parse(tmp_path: Path) -> None:
    m = load_ti_membership(make_raw(tmp_path)).set_index(["wave", "epci_code"])
    assert len(m) == 7
    # wave 1: the name list (3 items) and the code list (2) disagree -> COG names
    assert m.loc[(1, "200072460"), "epci_label"] == "CA de Béthune-Bruay, Artois-Lys Romane"
    assert m.loc[(1, "246200364"), "epci_label"] == "CA de Lens - Liévin"
    # wave 2: parentheses inside a name
    assert m.loc[(2, "246200380"), "epci_label"] == "CA du Pays (CAP)"
    # reconciliation
    assert m.loc[(1, "211300397"), "member_type"] == "commune"
    assert m.loc[(1, "211300397"), "cog_epci_code"] == "200054807"
    assert m.loc[(1, "200058014"), "member_type"] == "ept"
    assert m.loc[(2, "200058097"), "cog_epci_code"] == "200054781"
    assert not m.loc[(1, "211300397"), "in_cog_2026"]
    assert m.loc[(2, "200072460"), "in_cog_2026"]


def test_unknown_member_is_kept_not_dropped(tmp_path: Path) -> None:
    w2 = [*WAVE2, {"id_territoire": "ti-5301", "lib_territoire": "X",
                   "liste_geo": "CC Disparue (249999999)"}]
    m = load_ti_membership(make_raw(tmp_path, wave2=w2))
    row = m[m["epci_code"] == "249999999"].iloc[0]
    assert row["member_type"] == "unknown" and not row["in_cog_2026"]
    assert pd.isna(row["cog_epci_code"])


def _raises(tmp_path: Path, *words: str, **kw) -> None:
    with pytest.raises(DataError) as exc:
        load_ti_membership(make_raw(tmp_path, **kw))
    msg = str(exc.value)
    assert "Fix:" in msg
    for w in words:
        assert w.lower() in msg.lower(), msg


def test_missing_file(tmp_path: Path) -> None:
    raw = make_raw(tmp_path)
    (raw / "anct/territoires-industrie-2023-2027.geojson").unlink()
    with pytest.raises(DataError, match="not found"):
        load_ti_membership(raw)


def test_truncated_json(tmp_path: Path) -> None:
    text = json.dumps(_fc(WAVE1))
    _raises(tmp_path, "invalid JSON", wave1=text[: len(text) // 2])


def test_not_a_feature_collection(tmp_path: Path) -> None:
    _raises(tmp_path, "FeatureCollection", wave1=json.dumps([{"id_ti": "ti-0101"}]))


def test_no_features(tmp_path: Path) -> None:
    _raises(tmp_path, "no features", wave2=[])


def test_missing_property(tmp_path: Path) -> None:
    bad = [{k: v for k, v in WAVE1[0].items() if k != "siren_groupement"}]
    _raises(tmp_path, "siren_groupement", wave1=bad)


def test_malformed_siren(tmp_path: Path) -> None:
    bad = [dict(WAVE1[0], siren_groupement="200072460, 24620036")]
    _raises(tmp_path, "ti-3204", "24620036", "SIREN", wave1=bad)


def test_siren_list_with_semicolons_is_refused(tmp_path: Path) -> None:
    bad = [dict(WAVE1[0], siren_groupement="200072460; 246200364")]
    _raises(tmp_path, "nine-digit", wave1=bad)


def test_unreadable_wave2_list(tmp_path: Path) -> None:
    bad = [dict(WAVE2[1], liste_geo="CA de Béthune (200072460); CA du Pays 246200380")]
    _raises(tmp_path, "ti-3205", "liste_geo", wave2=bad)


def test_bad_territory_id(tmp_path: Path) -> None:
    bad = [dict(WAVE2[0], id_territoire="TI 1104")]
    _raises(tmp_path, "ti-RRNN", wave2=bad)


def test_member_listed_twice_in_a_wave(tmp_path: Path) -> None:
    bad = [*WAVE2, {"id_territoire": "ti-3206", "lib_territoire": "Y",
                    "liste_geo": "CA de Béthune-Bruay (200072460)"}]
    _raises(tmp_path, "200072460", "wave 2", "ti-3205", "ti-3206", wave2=bad)


def test_territory_in_two_features(tmp_path: Path) -> None:
    bad = [WAVE2[0], dict(WAVE2[0], liste_geo="CA du Pays (246200380)")]
    _raises(tmp_path, "two features", wave2=bad)


def test_empty_cog(tmp_path: Path) -> None:
    _raises(tmp_path, "non-empty", epci=[])
