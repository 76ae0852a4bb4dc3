//! Pack loading and validation: shipped packs are valid, bad packs fail with the
//! file, line, rule id and key.

use arrears_policy::{Backing, EMBEDDED_PACKS, PackError, PackSet, load_pack};

const MINIMAL: &str = r#"id = "t"
version = "1.0.0"
jurisdiction = "XX"
title = "test"
default_time_zones = ["UTC"]

[[changelog]]
version = "1.0.0"
date = "2026-12-03"
change = "test"

[[rules]]
id = "t.hours"
kind = "time_window"
citation = "none"
backing = "internal_policy"
reason_kind = "policy"
windows = [{ days = ["mon"], start = "08:00", end = "20:00" }]
"#;

#[test]
fn embedded_packs_load() {
    let set = PackSet::embedded().unwrap();
    let ids: Vec<&str> = set.packs().iter().map(|p| p.id.as_str()).collect();
    assert_eq!(
        ids,
        vec![
            "us-federal",
            "us-ma",
            "co",
            "mx",
            "pe",
            "cl",
            "br-sp",
            "internal-gb-es",
            "ec"
        ]
    );
    for pack in set.packs() {
        assert!(
            pack.changelog.iter().any(|c| c.version == pack.version),
            "{}",
            pack.id
        );
        assert!(!pack.rules.is_empty(), "{}", pack.id);
    }
    let mut all_ids: Vec<&str> = set
        .packs()
        .iter()
        .flat_map(|p| p.rules.iter().map(|r| r.id.as_str()))
        .collect();
    let count = all_ids.len();
    all_ids.sort_unstable();
    all_ids.dedup();
    assert_eq!(all_ids.len(), count, "rule ids are unique across packs");
    assert_eq!(EMBEDDED_PACKS.len(), 9);
    let gb = set.get("internal-gb-es").unwrap();
    assert_eq!(
        gb.rules
            .iter()
            .find(|r| r.id == "internal-gb-es.hours")
            .unwrap()
            .backing,
        Backing::InternalPolicy
    );
}

#[test]
fn minimal_pack_loads() {
    let pack = load_pack("t.toml", MINIMAL).unwrap();
    assert_eq!(pack.covers, vec!["XX"]);
    assert_eq!(pack.rules.len(), 1);
}

#[test]
fn syntax_error_points_at_line() {
    let text = MINIMAL.replace("citation = \"none\"", "citation = none");
    let err = load_pack("bad.toml", &text).unwrap_err();
    match &err {
        PackError::Syntax { file, line, .. } => {
            assert_eq!(file, "bad.toml");
            assert_eq!(*line, 15);
        }
        other => panic!("unexpected {other:?}"),
    }
    assert!(
        err.to_string()
            .starts_with("policy pack bad.toml: line 15, column"),
        "{err}"
    );
}

#[test]
fn unknown_rule_key_names_rule_and_key() {
    let text = MINIMAL.replace(
        "reason_kind = \"policy\"",
        "reason_kind = \"policy\"\nmax_colls = 7",
    );
    let err = load_pack("bad.toml", &text).unwrap_err();
    assert_eq!(
        err,
        PackError::Rule {
            file: "bad.toml".into(),
            line: 12,
            rule_id: "t.hours".into(),
            key: "max_colls".into(),
            message: err_message(&err),
        }
    );
    assert!(
        err.to_string()
            .contains("line 12: rule `t.hours`: key `max_colls`"),
        "{err}"
    );
}

fn err_message(err: &PackError) -> String {
    match err {
        PackError::Rule { message, .. } => message.clone(),
        _ => String::new(),
    }
}

#[test]
fn bad_parameter_value_names_key() {
    let text = MINIMAL.replace("end = \"20:00\"", "end = \"25:00\"");
    let err = load_pack("bad.toml", &text).unwrap_err();
    assert!(
        matches!(&err, PackError::Rule { rule_id, key, .. } if rule_id == "t.hours" && key == "windows"),
        "{err}"
    );
}

#[test]
fn semantic_errors_name_rule_and_key() {
    let text = MINIMAL.replace("start = \"08:00\"", "start = \"21:00\"");
    let err = load_pack("bad.toml", &text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy pack bad.toml: line 12: rule `t.hours`: key `windows`: start 21:00 must be before end 20:00"
    );
    let text = MINIMAL.replace("windows =", "holiday_calendar = \"xx\"\nwindows =");
    let err = load_pack("bad.toml", &text).unwrap_err();
    assert!(
        err.to_string()
            .contains("key `holiday_calendar`: unknown calendar \"xx\""),
        "{err}"
    );
    let text = MINIMAL.replace("kind = \"time_window\"", "kind = \"time_windoe\"");
    let err = load_pack("bad.toml", &text).unwrap_err();
    assert!(err.to_string().contains("key `kind`"), "{err}");
}

#[test]
fn pack_level_errors() {
    let text = MINIMAL.replace(
        "version = \"1.0.0\"\njurisdiction",
        "version = \"1.1.0\"\njurisdiction",
    );
    let err = load_pack("bad.toml", &text).unwrap_err();
    assert_eq!(
        err.to_string(),
        "policy pack bad.toml: key `changelog`: has no entry for version 1.1.0"
    );
    let text = MINIMAL.replace("[\"UTC\"]", "[\"Mars/Olympus\"]");
    let err = load_pack("bad.toml", &text).unwrap_err();
    assert!(
        err.to_string().contains("key `default_time_zones`"),
        "{err}"
    );
    let err = PackSet::load(&[("a.toml", MINIMAL), ("b.toml", MINIMAL)]).unwrap_err();
    assert!(err.to_string().contains("loaded twice"), "{err}");
}

#[test]
fn overrides_replace_by_id() {
    let text = EMBEDDED_PACKS
        .iter()
        .find(|(n, _)| *n == "us-ma.toml")
        .unwrap()
        .1;
    let patched = text
        .replace("version = \"2026.12.0\"\njurisdiction", "version = \"2026.12.1\"\njurisdiction")
        .replace("[[changelog]]", "[[changelog]]\nversion = \"2026.12.1\"\ndate = \"2026-12-04\"\nchange = \"test\"\n\n[[changelog]]");
    let set =
        PackSet::embedded_with_overrides(&[("dir/us-ma.toml", &patched), ("dir/t.toml", MINIMAL)])
            .unwrap();
    assert_eq!(set.get("us-ma").unwrap().version, "2026.12.1");
    assert_eq!(set.packs().len(), 10);
}
