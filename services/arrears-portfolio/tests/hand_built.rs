//! A hand-built portfolio with every figure worked out by hand, run on
//! SQLite and on PostgreSQL with the same body. Then events recorded after
//! the period are appended: every figure for the past must stay the same.
//!
//! Period: (2026-03-01T00:00Z, 2026-04-01T00:00Z], 31 days. Tenant t1:
//!
//! | debtor | account | ccy | product | items (due: amount) |
//! |---|---|---|---|---|
//! | d1 CO | a1 | COP | card | 01-15: 1,000,000; late fee (rec. 03-05) 03-10: 50,000 |
//! | d2 CO | a2 | COP | microcredit | 02-20: 200,000; 03-20: 200,000 |
//! | d3 CO | a3 | COP | card | 02-25: 150,000 |
//! | d6 CO | a6 | COP | microcredit | 03-15: 250,000; 04-15: 250,000 |
//! | d4 US | a4 | USD | card | 02-10: 80,000 |
//! | d5 US | a5 | USD | loan | 03-25: 120,000 (opened 03-02, in the period) |
//!
//! Tenant t2 has one COP account and a payment: it must never show in t1.

mod support;

use arrears_portfolio::{KpiOptions, kpis, summary};
use arrears_views::ViewStore;
use serde_json::{Value, json};
use support::hand::*;
use support::*;

fn aging(b: [(i64, i64); 6]) -> Value {
    let names = ["current", "1_30", "31_60", "61_90", "91_180", "180_plus"];
    Value::Array(
        names
            .iter()
            .zip(b)
            .map(|(n, (bal, acc))| json!({"bucket": n, "balance_minor": bal, "accounts": acc}))
            .collect(),
    )
}

const Z: (i64, i64) = (0, 0);

fn expected_summary_from() -> Value {
    // As of 03-01 (UTC date 2026-03-01):
    // a1: 1,000,000 oldest unpaid 01-15 → 45 dpd (31 + 14) → 31_60
    // a2:   400,000 oldest 02-20 → 9 dpd → 1_30
    // a3:   150,000 oldest 02-25 → 4 dpd → 1_30
    // a6:   500,000 oldest 03-15 → −14 → current
    // COP outstanding 2,050,000; past due 1,000,000 + 400,000 + 150,000 = 1,550,000.
    // a4 (USD): 80,000 oldest 02-10 → 19 dpd → 1_30. a5 not opened yet (03-02).
    // Debtors registered by then: d1 d2 d3 d4 d6 = 5 (d5 registers 03-02).
    json!({
        "tenant": "t1", "as_of": "2026-03-01T00:00:00Z", "as_of_date": "2026-03-01",
        "debtors": 5, "open_disputes": 0,
        "currencies": [
            {"currency": "COP", "outstanding_minor": 2_050_000, "past_due_minor": 1_550_000,
             "open_accounts": 4, "unapplied_credit_minor": 0,
             "aging": aging([(500_000, 1), (550_000, 2), (1_000_000, 1), Z, Z, Z]),
             "by_product": [
                {"segment": "card", "outstanding_minor": 1_150_000,
                 "aging": aging([Z, (150_000, 1), (1_000_000, 1), Z, Z, Z])},
                {"segment": "microcredit", "outstanding_minor": 900_000,
                 "aging": aging([(500_000, 1), (400_000, 1), Z, Z, Z, Z])}],
             "by_jurisdiction": [
                {"segment": "CO", "outstanding_minor": 2_050_000,
                 "aging": aging([(500_000, 1), (550_000, 2), (1_000_000, 1), Z, Z, Z])}]},
            {"currency": "USD", "outstanding_minor": 80_000, "past_due_minor": 80_000,
             "open_accounts": 1, "unapplied_credit_minor": 0,
             "aging": aging([Z, (80_000, 1), Z, Z, Z, Z]),
             "by_product": [{"segment": "card", "outstanding_minor": 80_000,
                             "aging": aging([Z, (80_000, 1), Z, Z, Z, Z])}],
             "by_jurisdiction": [{"segment": "US", "outstanding_minor": 80_000,
                                  "aging": aging([Z, (80_000, 1), Z, Z, Z, Z])}]}
        ]
    })
}

fn expected_summary_mid() -> Value {
    // As of 03-15T12:00 (date 03-15):
    // a1: 1,000,000 + fee 50,000 (recorded 03-05) = 1,050,000, oldest 01-15 → 59 dpd → 31_60
    //     (pay1 is recorded 03-18: not yet known)
    // a2: 400,000 − pay2 100,000 (03-09, to the 02-20 item) = 300,000, oldest 02-20 → 23 → 1_30
    // a3: 150,000 − pay4 150,000 (03-12; its reversal is 03-20) = 0 → no bucket
    // a6: 500,000 − pay7 250,000 (03-15T08:00) = 250,000, oldest 04-15 → current
    // COP: 1,050,000 + 300,000 + 250,000 = 1,600,000; past due 1,350,000; 3 open.
    // a4: 80,000 − pay5 30,000 = 50,000, oldest 02-10 → 33 dpd → 31_60
    // a5: 120,000 due 03-25 → current. USD: 170,000; past due 50,000.
    // Disputes: s1 opens 03-16 → none open yet.
    json!({
        "tenant": "t1", "as_of": "2026-03-15T12:00:00Z", "as_of_date": "2026-03-15",
        "debtors": 6, "open_disputes": 0,
        "currencies": [
            {"currency": "COP", "outstanding_minor": 1_600_000, "past_due_minor": 1_350_000,
             "open_accounts": 3, "unapplied_credit_minor": 0,
             "aging": aging([(250_000, 1), (300_000, 1), (1_050_000, 1), Z, Z, Z]),
             "by_product": [
                {"segment": "card", "outstanding_minor": 1_050_000,
                 "aging": aging([Z, Z, (1_050_000, 1), Z, Z, Z])},
                {"segment": "microcredit", "outstanding_minor": 550_000,
                 "aging": aging([(250_000, 1), (300_000, 1), Z, Z, Z, Z])}],
             "by_jurisdiction": [
                {"segment": "CO", "outstanding_minor": 1_600_000,
                 "aging": aging([(250_000, 1), (300_000, 1), (1_050_000, 1), Z, Z, Z])}]},
            {"currency": "USD", "outstanding_minor": 170_000, "past_due_minor": 50_000,
             "open_accounts": 2, "unapplied_credit_minor": 0,
             "aging": aging([(120_000, 1), Z, (50_000, 1), Z, Z, Z]),
             "by_product": [
                {"segment": "card", "outstanding_minor": 50_000,
                 "aging": aging([Z, Z, (50_000, 1), Z, Z, Z])},
                {"segment": "loan", "outstanding_minor": 120_000,
                 "aging": aging([(120_000, 1), Z, Z, Z, Z, Z])}],
             "by_jurisdiction": [{"segment": "US", "outstanding_minor": 170_000,
                                  "aging": aging([(120_000, 1), Z, (50_000, 1), Z, Z, Z])}]}
        ]
    })
}

fn expected_summary_to() -> Value {
    // As of 04-01 (date 04-01):
    // a1: 1,050,000 − pay1 300,000 (to the 01-15 item) = 750,000, oldest 01-15 → 76 dpd → 61_90
    // a2: 400,000 − 100,000 − 100,000 (pay3 03-25) = 200,000 (item 03-20) → 12 dpd → 1_30
    // a3: pay4 reversed 03-20 → 150,000, oldest 02-25 → 35 dpd → 31_60
    // a6: 250,000 (04-15) → current
    // COP 1,350,000; past due 1,100,000; 4 open.
    // a4: 80,000 − 30,000 − 50,000 of pay6 (55,000: 5,000 unapplied) = 0 → paid
    // a5: 120,000 due 03-25 → 7 dpd → 1_30. USD 120,000; credit 5,000.
    // Disputes: s1 resolved 03-18, s2 open (03-21) → 1.
    json!({
        "tenant": "t1", "as_of": "2026-04-01T00:00:00Z", "as_of_date": "2026-04-01",
        "debtors": 6, "open_disputes": 1,
        "currencies": [
            {"currency": "COP", "outstanding_minor": 1_350_000, "past_due_minor": 1_100_000,
             "open_accounts": 4, "unapplied_credit_minor": 0,
             "aging": aging([(250_000, 1), (200_000, 1), (150_000, 1), (750_000, 1), Z, Z]),
             "by_product": [
                {"segment": "card", "outstanding_minor": 900_000,
                 "aging": aging([Z, Z, (150_000, 1), (750_000, 1), Z, Z])},
                {"segment": "microcredit", "outstanding_minor": 450_000,
                 "aging": aging([(250_000, 1), (200_000, 1), Z, Z, Z, Z])}],
             "by_jurisdiction": [
                {"segment": "CO", "outstanding_minor": 1_350_000,
                 "aging": aging([(250_000, 1), (200_000, 1), (150_000, 1), (750_000, 1), Z, Z])}]},
            {"currency": "USD", "outstanding_minor": 120_000, "past_due_minor": 120_000,
             "open_accounts": 1, "unapplied_credit_minor": 5_000,
             "aging": aging([Z, (120_000, 1), Z, Z, Z, Z]),
             "by_product": [
                {"segment": "card", "outstanding_minor": 0, "aging": aging([Z, Z, Z, Z, Z, Z])},
                {"segment": "loan", "outstanding_minor": 120_000,
                 "aging": aging([Z, (120_000, 1), Z, Z, Z, Z])}],
             "by_jurisdiction": [{"segment": "US", "outstanding_minor": 120_000,
                                  "aging": aging([Z, (120_000, 1), Z, Z, Z, Z])}]}
        ]
    })
}

fn rate(n: i64, d: i64, bp: Option<i64>) -> Value {
    json!({"numerator": n, "denominator": d, "basis_points": bp})
}

fn expected_kpis() -> Value {
    let cop_summary = &expected_summary_to()["currencies"][0];
    let usd_summary = &expected_summary_to()["currencies"][1];
    json!({
        "tenant": "t1", "from": FROM, "to": TO, "promise_grace_days": 3,
        "currencies": [
            {"currency": "COP",
             // beginning = summary at FROM, ending = summary at TO
             "beginning_receivables_minor": 2_050_000,
             "ending_receivables_minor": 1_350_000,
             "ending_current_minor": 250_000,
             // no COP account opened in the period; fee f1 50,000 recorded 03-05
             "credit_sales": {"principal_opened_minor": 0, "charges_applied_minor": 50_000,
                              "total_minor": 50_000},
             "aging": cop_summary["aging"], "by_product": cop_summary["by_product"],
             "by_jurisdiction": cop_summary["by_jurisdiction"],
             // pay1 300,000 + pay2 100,000 + pay3 100,000 + pay4 150,000 + pay7 250,000 = 900,000;
             // pay4 reversed 03-20 (in the period) → net 750,000. t2's tp1 is not here.
             "collected": {"gross_minor": 900_000, "reversed_minor": 150_000, "net_minor": 750_000,
                "by_method": [
                    {"method": "bank_transfer", "gross_minor": 100_000, "reversed_minor": 0, "net_minor": 100_000},
                    {"method": "card", "gross_minor": 300_000, "reversed_minor": 0, "net_minor": 300_000},
                    {"method": "cash", "gross_minor": 150_000, "reversed_minor": 150_000, "net_minor": 0},
                    {"method": "direct_debit", "gross_minor": 250_000, "reversed_minor": 0, "net_minor": 250_000},
                    {"method": "pse", "gross_minor": 100_000, "reversed_minor": 0, "net_minor": 100_000}]},
             // DSO = 1,350,000 / 50,000 × 31 days = 837 days = 83,700 centidays
             "dso": {"ending_receivables_minor": 1_350_000, "credit_sales_minor": 50_000,
                     "period_microseconds": 2_678_400_000_000_i64, "centidays": 83_700},
             // CEI = (2,050,000 + 50,000 − 1,350,000) / (2,050,000 + 50,000 − 250,000)
             //     = 750,000 / 1,850,000 = 40.5405…% → 4,054 bp
             "cei": rate(750_000, 1_850_000, Some(4_054)),
             // base: past due at FROM = a1 1,000,000 + a2 400,000 + a3 150,000 = 1,550,000
             // recovered: pay1 300,000 + pay2 100,000 + pay3 100,000 + pay4 150,000 − reversal 150,000
             //   = 500,000 (pay7 went to a6, current at FROM) → 32.258…% → 3,226 bp
             "recovery": {"base_past_due_minor": 1_550_000, "recovered_minor": 500_000,
                          "rate": rate(500_000, 1_550_000, Some(3_226))},
             "transitions": [
                {"from": "current", "to": "current", "accounts": 1, "balance_minor": 500_000},
                {"from": "1_30", "to": "1_30", "accounts": 1, "balance_minor": 400_000},
                {"from": "1_30", "to": "31_60", "accounts": 1, "balance_minor": 150_000},
                {"from": "31_60", "to": "61_90", "accounts": 1, "balance_minor": 1_000_000}],
             "roll_rates": [
                {"from": "current", "to": "1_30", "rate": rate(0, 500_000, Some(0))},
                // a3 rolled: 150,000 / (400,000 + 150,000) = 27.27…% → 2,727 bp
                {"from": "1_30", "to": "31_60", "rate": rate(150_000, 550_000, Some(2_727))},
                {"from": "31_60", "to": "61_90", "rate": rate(1_000_000, 1_000_000, Some(10_000))},
                {"from": "61_90", "to": "91_180", "rate": rate(0, 0, None)},
                {"from": "91_180", "to": "180_plus", "rate": rate(0, 0, None)}],
             // nothing delinquent at FROM is current or paid at TO
             "cure": {"base_delinquent_minor": 1_550_000, "cured_minor": 0,
                      "rate": rate(0, 1_550_000, Some(0))},
             // By product. card = a1 (d1) + a3 (d3); microcredit = a2 (d2) + a6 (d6).
             // card collected: pay1 300,000 (a1) + pay4 150,000 (a3) − its reversal 150,000
             //   = 300,000; past due at FROM: a1 1,000,000 + a3 150,000 = 1,150,000;
             //   recovered 300,000 → 26.086…% → 2,609 bp; nothing cured.
             // microcredit collected: pay2 100,000 + pay3 100,000 (a2) + pay7 250,000 (a6)
             //   = 450,000; past due at FROM: a2 400,000; recovered 200,000 (a6 was
             //   current) → 50%; nothing cured. 300,000 + 450,000 = collected net 750,000.
             "kpis_by_product": [
                {"segment": "card", "collected_allocated_net_minor": 300_000,
                 "recovery": {"base_past_due_minor": 1_150_000, "recovered_minor": 300_000,
                              "rate": rate(300_000, 1_150_000, Some(2_609))},
                 "cure": {"base_delinquent_minor": 1_150_000, "cured_minor": 0,
                          "rate": rate(0, 1_150_000, Some(0))}},
                {"segment": "microcredit", "collected_allocated_net_minor": 450_000,
                 "recovery": {"base_past_due_minor": 400_000, "recovered_minor": 200_000,
                              "rate": rate(200_000, 400_000, Some(5_000))},
                 "cure": {"base_delinquent_minor": 400_000, "cured_minor": 0,
                          "rate": rate(0, 400_000, Some(0))}}],
             // Every COP debtor is in CO: the currency's own figures.
             "kpis_by_jurisdiction": [
                {"segment": "CO", "collected_allocated_net_minor": 750_000,
                 "recovery": {"base_past_due_minor": 1_550_000, "recovered_minor": 500_000,
                              "rate": rate(500_000, 1_550_000, Some(3_226))},
                 "cure": {"base_delinquent_minor": 1_550_000, "cured_minor": 0,
                          "rate": rate(0, 1_550_000, Some(0))}}]},
            {"currency": "USD",
             "beginning_receivables_minor": 80_000,
             "ending_receivables_minor": 120_000,
             "ending_current_minor": 0,
             // a5 opened 03-02: 120,000
             "credit_sales": {"principal_opened_minor": 120_000, "charges_applied_minor": 0,
                              "total_minor": 120_000},
             "aging": usd_summary["aging"], "by_product": usd_summary["by_product"],
             "by_jurisdiction": usd_summary["by_jurisdiction"],
             // pay5 30,000 card + pay6 55,000 wallet (5,000 of it unapplied credit)
             "collected": {"gross_minor": 85_000, "reversed_minor": 0, "net_minor": 85_000,
                "by_method": [
                    {"method": "card", "gross_minor": 30_000, "reversed_minor": 0, "net_minor": 30_000},
                    {"method": "wallet", "gross_minor": 55_000, "reversed_minor": 0, "net_minor": 55_000}]},
             // DSO = 120,000 / 120,000 × 31 = 31 days
             "dso": {"ending_receivables_minor": 120_000, "credit_sales_minor": 120_000,
                     "period_microseconds": 2_678_400_000_000_i64, "centidays": 3_100},
             // CEI = (80,000 + 120,000 − 120,000) / (80,000 + 120,000 − 0) = 40%
             "cei": rate(80_000, 200_000, Some(4_000)),
             // a4 past due at FROM (80,000); 30,000 + 50,000 allocated to it in the period
             "recovery": {"base_past_due_minor": 80_000, "recovered_minor": 80_000,
                          "rate": rate(80_000, 80_000, Some(10_000))},
             "transitions": [
                {"from": "1_30", "to": "paid", "accounts": 1, "balance_minor": 80_000}],
             "roll_rates": [
                {"from": "current", "to": "1_30", "rate": rate(0, 0, None)},
                {"from": "1_30", "to": "31_60", "rate": rate(0, 80_000, Some(0))},
                {"from": "31_60", "to": "61_90", "rate": rate(0, 0, None)},
                {"from": "61_90", "to": "91_180", "rate": rate(0, 0, None)},
                {"from": "91_180", "to": "180_plus", "rate": rate(0, 0, None)}],
             // a4 went from 1_30 to paid: cured
             "cure": {"base_delinquent_minor": 80_000, "cured_minor": 80_000,
                      "rate": rate(80_000, 80_000, Some(10_000))},
             // card = a4: pay5 30,000 + 50,000 of pay6 allocated (its other 5,000 is
             // unapplied credit, in no segment) = 80,000, all recovery, a4 cured.
             // loan = a5, opened 03-02: nothing collected, not past due at FROM → 0/0.
             "kpis_by_product": [
                {"segment": "card", "collected_allocated_net_minor": 80_000,
                 "recovery": {"base_past_due_minor": 80_000, "recovered_minor": 80_000,
                              "rate": rate(80_000, 80_000, Some(10_000))},
                 "cure": {"base_delinquent_minor": 80_000, "cured_minor": 80_000,
                          "rate": rate(80_000, 80_000, Some(10_000))}},
                {"segment": "loan", "collected_allocated_net_minor": 0,
                 "recovery": {"base_past_due_minor": 0, "recovered_minor": 0,
                              "rate": rate(0, 0, None)},
                 "cure": {"base_delinquent_minor": 0, "cured_minor": 0,
                          "rate": rate(0, 0, None)}}],
             "kpis_by_jurisdiction": [
                {"segment": "US", "collected_allocated_net_minor": 80_000,
                 "recovery": {"base_past_due_minor": 80_000, "recovered_minor": 80_000,
                              "rate": rate(80_000, 80_000, Some(10_000))},
                 "cure": {"base_delinquent_minor": 80_000, "cured_minor": 80_000,
                          "rate": rate(80_000, 80_000, Some(10_000))}}]}
        ],
        // Outbound phone attempts: c1 ana (no answer), c2 ben (RPC), c3 cy (wrong party),
        // c5 ana (RPC), c7 cy (RPC) = 5, of which 3 RPC → 60%.
        // RPCs on any channel/direction: c2, c4 (inbound, cy), c5, c7 = 4.
        // Promises made: p2 ben, p3 cy, p1 ana, p4 cy = 4 → PTP rate 4 / 4.
        // c6 (SMS, no agent) counts nowhere but shows its agent row (null).
        "contacts": {
            "call_attempts": 5, "call_right_party_contacts": 3, "rpc_rate": rate(3, 5, Some(6_000)),
            "right_party_contacts": 4, "promises_made": 4, "ptp_rate": rate(4, 4, Some(10_000)),
            "by_agent": [
                {"agent": null, "call_attempts": 0, "call_right_party_contacts": 0,
                 "right_party_contacts": 0, "promises_made": 0},
                {"agent": "ana", "call_attempts": 2, "call_right_party_contacts": 1,
                 "right_party_contacts": 1, "promises_made": 1},
                {"agent": "ben", "call_attempts": 1, "call_right_party_contacts": 1,
                 "right_party_contacts": 1, "promises_made": 1},
                {"agent": "cy", "call_attempts": 2, "call_right_party_contacts": 1,
                 "right_party_contacts": 2, "promises_made": 2}]},
        // Grace 3 days; deadline = end of (due + 3):
        // p1 due 03-20 → 03-24: kept 03-18 → kept
        // p2 due 03-10 → 03-14: pay2 100,000 of 200,000 by then; kept only 03-25 → partial
        // p3 due 03-06 → 03-10: kept 03-05 → kept
        // p4 due 03-26 → 03-30: nothing paid → broken
        "promises": {"fell_due": 4, "kept": 2, "partially_kept": 1, "broken": 1,
            "kept_rate": rate(2, 4, Some(5_000)),
            "by_agent": [
                {"agent": "ana", "fell_due": 1, "kept": 1, "partially_kept": 0, "broken": 0},
                {"agent": "ben", "fell_due": 1, "kept": 0, "partially_kept": 1, "broken": 0},
                {"agent": "cy", "fell_due": 2, "kept": 1, "partially_kept": 0, "broken": 1}]}
    })
}

async fn check_past(store: &ViewStore) {
    let t1 = arrears_core::TenantId::new("t1").unwrap();
    for (when, expected) in [
        (FROM, expected_summary_from()),
        (MID, expected_summary_mid()),
        (TO, expected_summary_to()),
    ] {
        let got = serde_json::to_value(summary(store, &t1, at(when)).await.unwrap()).unwrap();
        assert_eq!(got, expected, "summary as of {when}");
    }
    let got = kpis(store, &t1, at(FROM), at(TO), &KpiOptions::default())
        .await
        .unwrap();
    assert_eq!(serde_json::to_value(&got).unwrap(), expected_kpis(), "KPIs");

    // Grace 15 days: p1's deadline (04-05) and p4's (04-11) leave the period;
    // p2's moves to 03-26, after its completion on 03-25 → kept; p3 kept.
    let got = kpis(
        store,
        &t1,
        at(FROM),
        at(TO),
        &KpiOptions {
            promise_grace_days: 15,
        },
    )
    .await
    .unwrap();
    assert_eq!(
        serde_json::to_value(&got.promises).unwrap(),
        json!({"fell_due": 2, "kept": 2, "partially_kept": 0, "broken": 0,
               "kept_rate": rate(2, 2, Some(10_000)),
               "by_agent": [
                   {"agent": "ben", "fell_due": 1, "kept": 1, "partially_kept": 0, "broken": 0},
                   {"agent": "cy", "fell_due": 1, "kept": 1, "partially_kept": 0, "broken": 0}]})
    );
}

async fn scenario(kind: Kind) {
    let store = TestStore::new(kind).await;
    let mut s = Script::new(3).await;
    build(&mut s).await;
    project(&s.log, &store).await;
    check_past(&store).await;

    // The other tenant sees only its own account: 999,999 − 500,000.
    let t2 = arrears_core::TenantId::new("t2").unwrap();
    let other = summary(&store, &t2, at(TO)).await.unwrap();
    assert_eq!(other.currencies.len(), 1);
    assert_eq!(other.currencies[0].outstanding_minor, 499_999);

    // Later facts, some about March: the past must not move.
    later(&mut s).await;
    project(&s.log, &store).await;
    check_past(&store).await;

    // ...while the present did see them (so the test above could fail):
    // a1 at 04-05: 1,050,000, pay1 reversed, pay8 750,000 → 300,000;
    // COP = 300,000 + 200,000 + 150,000 + 250,000 = 900,000.
    let t1 = arrears_core::TenantId::new("t1").unwrap();
    let now = summary(&store, &t1, at("2026-04-05T00:00:00Z"))
        .await
        .unwrap();
    assert_eq!(now.currencies[0].currency, "COP");
    assert_eq!(now.currencies[0].outstanding_minor, 900_000);
    assert_eq!(now.debtors, 7);
    assert_eq!(now.currencies[1].outstanding_minor, 130_000);
}

#[tokio::test]
async fn hand_built_portfolio_sqlite() {
    scenario(Kind::Sqlite).await;
}

#[tokio::test]
async fn hand_built_portfolio_postgres() {
    scenario(Kind::Postgres).await;
}

#[tokio::test]
async fn invalid_period_and_options_are_refused() {
    let store = TestStore::new(Kind::Sqlite).await;
    let t1 = arrears_core::TenantId::new("t1").unwrap();
    let err = kpis(&store, &t1, at(TO), at(FROM), &KpiOptions::default())
        .await
        .unwrap_err();
    assert!(err.to_string().contains("must be before"), "{err}");
    let err = kpis(
        &store,
        &t1,
        at(FROM),
        at(TO),
        &KpiOptions {
            promise_grace_days: 400,
        },
    )
    .await
    .unwrap_err();
    assert!(err.to_string().contains("promise_grace_days"), "{err}");
    // An empty store answers with an empty portfolio, not an error.
    let s = summary(&store, &t1, at(TO)).await.unwrap();
    assert_eq!(s.currencies, vec![]);
    assert_eq!(s.debtors, 0);
}
