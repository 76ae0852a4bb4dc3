//! docs/COMPLIANCE.md's worked cases and the table-driven tests are the same
//! set: every case named in the document is a test, and every test case is
//! documented.

use std::collections::BTreeSet;

const PREFIXES: &[&str] = &[
    "us_", "ma_", "co_", "mx_", "pe_", "cl_", "br_sp_", "gb_", "es_", "ec_", "engine_",
];

fn is_case_name(word: &str) -> bool {
    PREFIXES.iter().any(|p| word.starts_with(p))
        && word
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && arrears_policy::calendar::HolidayCalendar::by_id(word).is_none()
}

fn documented() -> BTreeSet<String> {
    let doc = include_str!("../../../docs/COMPLIANCE.md");
    doc.split('`')
        .skip(1)
        .step_by(2)
        .filter(|w| is_case_name(w))
        .map(str::to_string)
        .collect()
}

fn tested() -> BTreeSet<String> {
    let sources = [
        include_str!("us.rs"),
        include_str!("latam.rs"),
        include_str!("internal_and_engine.rs"),
    ];
    let mut names = BTreeSet::new();
    for source in sources {
        for marker in ["allow(", "deny("] {
            for chunk in source.split(marker).skip(1) {
                let rest = chunk.trim_start();
                if let Some(quoted) = rest.strip_prefix('"')
                    && let Some(end) = quoted.find('"')
                    && is_case_name(&quoted[..end])
                {
                    names.insert(quoted[..end].to_string());
                }
            }
        }
    }
    names
}

#[test]
fn documented_cases_are_tests_and_tests_are_documented() {
    let documented = documented();
    let tested = tested();
    let undocumented: Vec<_> = tested.difference(&documented).collect();
    let untested: Vec<_> = documented.difference(&tested).collect();
    assert!(
        undocumented.is_empty(),
        "cases missing from docs/COMPLIANCE.md: {undocumented:?}"
    );
    assert!(
        untested.is_empty(),
        "documented cases with no test: {untested:?}"
    );
    assert_eq!(tested.len(), 116);
}
