//! Holiday calendars against the published lists (COMPLIANCE.md §2.1 table).

use arrears_policy::calendar::{BR_SP, CL_NATIONAL, CO_LEY_51_1983, PE_NATIONAL, easter_sunday};
use chrono::NaiveDate;

fn dates(list: Vec<(NaiveDate, &'static str)>) -> Vec<String> {
    list.into_iter().map(|(d, _)| d.to_string()).collect()
}

#[test]
fn easter_dates() {
    for (year, expected) in [
        (2025, "2025-04-20"),
        (2026, "2026-04-05"),
        (2027, "2027-03-28"),
        (2028, "2028-04-16"),
    ] {
        assert_eq!(easter_sunday(year).to_string(), expected);
    }
}

#[test]
fn colombia_2026_matches_published_list() {
    assert_eq!(
        dates(CO_LEY_51_1983.holidays_in(2026)),
        vec![
            "2026-01-01",
            "2026-01-12",
            "2026-03-23",
            "2026-04-02",
            "2026-04-03",
            "2026-05-01",
            "2026-05-18",
            "2026-06-08",
            "2026-06-15",
            "2026-06-29",
            "2026-07-20",
            "2026-08-07",
            "2026-08-17",
            "2026-10-12",
            "2026-11-02",
            "2026-11-16",
            "2026-12-08",
            "2026-12-25",
        ]
    );
}

#[test]
fn colombia_2027_matches_computed_list() {
    assert_eq!(
        dates(CO_LEY_51_1983.holidays_in(2027)),
        vec![
            "2027-01-01",
            "2027-01-11",
            "2027-03-22",
            "2027-03-25",
            "2027-03-26",
            "2027-05-01",
            "2027-05-10",
            "2027-05-31",
            "2027-06-07",
            "2027-07-05",
            "2027-07-20",
            "2027-08-07",
            "2027-08-16",
            "2027-10-18",
            "2027-11-01",
            "2027-11-15",
            "2027-12-08",
            "2027-12-25",
        ]
    );
}

#[test]
fn colombia_original_weekday_dates_are_not_holidays() {
    for original in [
        "2026-01-06",
        "2026-03-19",
        "2026-08-15",
        "2026-11-11",
        "2027-06-29",
        "2027-10-12",
    ] {
        let d: NaiveDate = original.parse().unwrap();
        assert_eq!(CO_LEY_51_1983.holiday(d), None, "{original}");
    }
    assert_eq!(
        CO_LEY_51_1983.holiday("2026-01-12".parse().unwrap()),
        Some("Reyes Magos")
    );
}

#[test]
fn chile_moved_and_bridging_holidays() {
    let h = |s: &str| CL_NATIONAL.holiday(s.parse().unwrap());
    // San Pedro y San Pablo 2027 (Tue 29 Jun) -> Mon 28 Jun; Encuentro 2027 (Tue 12 Oct) -> Mon 11 Oct.
    assert_eq!(h("2027-06-28"), Some("San Pedro y San Pablo"));
    assert_eq!(h("2027-06-29"), None);
    assert_eq!(h("2027-10-11"), Some("Encuentro de Dos Mundos"));
    assert_eq!(
        h("2026-06-21"),
        Some("Día Nacional de los Pueblos Indígenas")
    );
    assert_eq!(h("2026-04-04"), Some("Sábado Santo"));
    assert_eq!(h("2026-09-18"), Some("Independencia Nacional"));
    assert_eq!(h("2026-09-17"), None);
    assert_eq!(CL_NATIONAL.holidays_in(2026).len(), 16);
}

#[test]
fn peru_and_sao_paulo() {
    assert_eq!(
        PE_NATIONAL.holiday("2026-07-29".parse().unwrap()),
        Some("Fiestas Patrias")
    );
    assert_eq!(
        PE_NATIONAL.holiday("2026-04-02".parse().unwrap()),
        Some("Jueves Santo")
    );
    assert_eq!(PE_NATIONAL.holidays_in(2026).len(), 16);
    assert_eq!(
        BR_SP.holiday("2026-06-04".parse().unwrap()),
        Some("Corpus Christi")
    );
    assert_eq!(
        BR_SP.holiday("2026-02-17".parse().unwrap()),
        Some("Carnaval (ponto facultativo)")
    );
    assert_eq!(
        BR_SP.holiday("2026-07-09".parse().unwrap()),
        Some("Revolução Constitucionalista")
    );
    assert_eq!(BR_SP.holidays_in(2026).len(), 15);
}

#[test]
fn every_calendar_names_its_sources() {
    for c in [CO_LEY_51_1983, PE_NATIONAL, CL_NATIONAL, BR_SP] {
        assert!(
            c.sources.iter().all(|s| s.starts_with("https://")),
            "{}",
            c.id
        );
    }
}
