//! The hand-built portfolio of `tests/hand_built.rs` (see the table there).

use arrears_core::vocabulary::{Channel, ContactOutcome, Direction, PaymentMethod};

use super::*;

pub const FROM: &str = "2026-03-01T00:00:00Z";
pub const MID: &str = "2026-03-15T12:00:00Z";
pub const TO: &str = "2026-04-01T00:00:00Z";

pub async fn build(s: &mut Script) {
    use ContactOutcome::*;
    use Direction::*;
    use PaymentMethod::*;
    let bog = "America/Bogota";
    let ny = "America/New_York";
    // Before the period.
    s.run("t1", "d4", "2026-01-05T09:00:00Z", register("US", ny))
        .await;
    s.run(
        "t1",
        "d4",
        "2026-01-05T10:00:00Z",
        open("a4", "USD", 80_000, "2026-02-10", "card"),
    )
    .await;
    s.run("t1", "d1", "2026-01-10T09:00:00Z", register("CO", bog))
        .await;
    s.run(
        "t1",
        "d1",
        "2026-01-10T10:00:00Z",
        open("a1", "COP", 1_000_000, "2026-01-15", "card"),
    )
    .await;
    s.run("t1", "d3", "2026-01-20T09:00:00Z", register("CO", bog))
        .await;
    s.run(
        "t1",
        "d3",
        "2026-01-20T10:00:00Z",
        open("a3", "COP", 150_000, "2026-02-25", "card"),
    )
    .await;
    s.run("t2", "d1", "2026-01-02T09:00:00Z", register("CO", bog))
        .await;
    s.run(
        "t2",
        "d1",
        "2026-01-02T10:00:00Z",
        open("x1", "COP", 999_999, "2026-01-03", "card"),
    )
    .await;
    s.run("t1", "d2", "2026-02-01T09:00:00Z", register("CO", bog))
        .await;
    s.run(
        "t1",
        "d2",
        "2026-02-01T10:00:00Z",
        open_schedule(
            "a2",
            "COP",
            &[("2026-02-20", 200_000), ("2026-03-20", 200_000)],
            "microcredit",
        ),
    )
    .await;
    s.run("t1", "d6", "2026-02-15T09:00:00Z", register("CO", bog))
        .await;
    s.run(
        "t1",
        "d6",
        "2026-02-15T10:00:00Z",
        open_schedule(
            "a6",
            "COP",
            &[("2026-03-15", 250_000), ("2026-04-15", 250_000)],
            "microcredit",
        ),
    )
    .await;
    // The period.
    s.run(
        "t1",
        "d2",
        "2026-03-02T14:00:00Z",
        contact(
            "c1",
            "a2",
            Channel::Phone,
            Outbound,
            NoAnswer,
            "2026-03-02T13:59:00Z",
            Some("ana"),
        ),
    )
    .await;
    s.run("t1", "d5", "2026-03-02T09:00:00Z", register("US", ny))
        .await;
    s.run(
        "t1",
        "d5",
        "2026-03-02T10:00:00Z",
        open("a5", "USD", 120_000, "2026-03-25", "loan"),
    )
    .await;
    s.run(
        "t1",
        "d2",
        "2026-03-03T14:00:00Z",
        contact(
            "c2",
            "a2",
            Channel::Phone,
            Outbound,
            RightPartyContact,
            "2026-03-03T13:50:00Z",
            Some("ben"),
        ),
    )
    .await;
    s.run(
        "t1",
        "d2",
        "2026-03-03T14:10:00Z",
        promise("p2", "a2", "COP", 200_000, "2026-03-10", "ben"),
    )
    .await;
    s.run(
        "t1",
        "d4",
        "2026-03-04T16:00:00Z",
        contact(
            "c3",
            "a4",
            Channel::Phone,
            Outbound,
            WrongParty,
            "2026-03-04T15:59:00Z",
            Some("cy"),
        ),
    )
    .await;
    s.run(
        "t1",
        "d1",
        "2026-03-05T09:00:00Z",
        charge("a1", "f1", "COP", 50_000, "2026-03-10"),
    )
    .await;
    s.run(
        "t1",
        "d4",
        "2026-03-05T15:00:00Z",
        contact(
            "c4",
            "a4",
            Channel::Phone,
            Inbound,
            RightPartyContact,
            "2026-03-05T14:50:00Z",
            Some("cy"),
        ),
    )
    .await;
    s.run(
        "t1",
        "d4",
        "2026-03-05T15:10:00Z",
        promise("p3", "a4", "USD", 30_000, "2026-03-06", "cy"),
    )
    .await;
    s.run(
        "t1",
        "d4",
        "2026-03-05T16:00:00Z",
        pay("pay5", "USD", 30_000, Card, "2026-03-05T15:58:00Z"),
    )
    .await;
    s.run(
        "t1",
        "d1",
        "2026-03-06T15:00:00Z",
        contact(
            "c5",
            "a1",
            Channel::Phone,
            Outbound,
            RightPartyContact,
            "2026-03-06T14:55:00Z",
            Some("ana"),
        ),
    )
    .await;
    s.run(
        "t1",
        "d1",
        "2026-03-06T15:05:00Z",
        promise("p1", "a1", "COP", 300_000, "2026-03-20", "ana"),
    )
    .await;
    s.run(
        "t1",
        "d2",
        "2026-03-09T10:00:00Z",
        pay("pay2", "COP", 100_000, BankTransfer, "2026-03-08T20:00:00Z"),
    )
    .await;
    s.run(
        "t2",
        "d1",
        "2026-03-10T10:00:00Z",
        pay("tp1", "COP", 500_000, Card, "2026-03-10T09:00:00Z"),
    )
    .await;
    s.run(
        "t1",
        "d3",
        "2026-03-11T10:00:00Z",
        contact(
            "c6",
            "a3",
            Channel::Sms,
            Outbound,
            Delivered,
            "2026-03-11T09:59:00Z",
            None,
        ),
    )
    .await;
    s.run(
        "t1",
        "d3",
        "2026-03-12T10:00:00Z",
        pay("pay4", "COP", 150_000, Cash, "2026-03-12T09:00:00Z"),
    )
    .await;
    s.run(
        "t1",
        "d6",
        "2026-03-15T08:00:00Z",
        pay("pay7", "COP", 250_000, DirectDebit, "2026-03-15T06:00:00Z"),
    )
    .await;
    s.run("t1", "d6", "2026-03-16T10:00:00Z", dispute("s1", "a6"))
        .await;
    s.run("t1", "d6", "2026-03-18T10:00:00Z", resolve("s1"))
        .await;
    s.run(
        "t1",
        "d1",
        "2026-03-18T12:00:00Z",
        pay("pay1", "COP", 300_000, Card, "2026-03-18T11:00:00Z"),
    )
    .await;
    s.run("t1", "d3", "2026-03-20T10:00:00Z", reverse("pay4"))
        .await;
    s.run(
        "t1",
        "d5",
        "2026-03-20T09:55:00Z",
        contact(
            "c7",
            "a5",
            Channel::Phone,
            Outbound,
            RightPartyContact,
            "2026-03-20T09:50:00Z",
            Some("cy"),
        ),
    )
    .await;
    s.run(
        "t1",
        "d5",
        "2026-03-20T10:00:00Z",
        promise("p4", "a5", "USD", 120_000, "2026-03-26", "cy"),
    )
    .await;
    s.run("t1", "d5", "2026-03-21T10:00:00Z", dispute("s2", "a5"))
        .await;
    s.run(
        "t1",
        "d2",
        "2026-03-25T10:00:00Z",
        pay("pay3", "COP", 100_000, Pse, "2026-03-25T09:00:00Z"),
    )
    .await;
    s.run(
        "t1",
        "d4",
        "2026-03-28T16:00:00Z",
        pay("pay6", "USD", 55_000, Wallet, "2026-03-28T15:00:00Z"),
    )
    .await;
}

/// Events recorded after the period, some about it: a payment received in
/// March but recorded in April, the reversal of a March payment, a new
/// debtor, a new promise.
pub async fn later(s: &mut Script) {
    use PaymentMethod::*;
    s.run(
        "t1",
        "d1",
        "2026-04-02T10:00:00Z",
        pay("pay8", "COP", 750_000, Card, "2026-03-30T10:00:00Z"),
    )
    .await;
    s.run("t1", "d1", "2026-04-03T10:00:00Z", reverse("pay1"))
        .await;
    s.run(
        "t1",
        "d2",
        "2026-04-03T11:00:00Z",
        contact(
            "c8",
            "a2",
            Channel::Phone,
            Direction::Outbound,
            ContactOutcome::RightPartyContact,
            "2026-04-03T10:59:00Z",
            Some("ana"),
        ),
    )
    .await;
    s.run(
        "t1",
        "d2",
        "2026-04-03T11:05:00Z",
        promise("p5", "a2", "COP", 200_000, "2026-04-10", "ana"),
    )
    .await;
    s.run(
        "t1",
        "d7",
        "2026-04-04T09:00:00Z",
        register("US", "America/New_York"),
    )
    .await;
    s.run(
        "t1",
        "d7",
        "2026-04-04T10:00:00Z",
        open("a7", "USD", 10_000, "2026-05-01", "loan"),
    )
    .await;
}
