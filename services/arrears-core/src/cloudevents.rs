//! CloudEvents binary mode (DESIGN D5): an event as a log record with `ce_*`
//! headers, the `{tenant}/{debtor}` key and the JSON payload as the value.
//!
//! The same record shape is stored by the embedded SQLite log and produced to
//! Kafka, so consumers of either see identical bytes.

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::event::{DecodeError, Event, EventBody};
use crate::ids::{DebtorId, TenantId};

/// The `ce_source` of events written by the ledger.
pub const SOURCE: &str = "urn:arrears:ledger";
pub const SPEC_VERSION: &str = "1.0";
pub const CONTENT_TYPE: &str = "application/json";

/// A transport-neutral log record: what a Kafka message or a row of the
/// embedded log holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogRecord {
    pub key: String,
    /// Header name and value, in a stable order.
    pub headers: Vec<(String, String)>,
    pub value: Vec<u8>,
}

impl LogRecord {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// The `ce_dataschema` of an event type: its JSON Schema in `schemas/events/`.
pub fn data_schema(event_type: &str) -> String {
    format!("urn:arrears:schema:events:{event_type}")
}

/// Encodes an event as a CloudEvents binary-mode record.
pub fn encode(event: &Event) -> LogRecord {
    let mut headers = vec![
        ("ce_specversion".to_string(), SPEC_VERSION.to_string()),
        ("ce_id".to_string(), event.id.to_string()),
        ("ce_source".to_string(), SOURCE.to_string()),
        ("ce_type".to_string(), event.event_type().to_string()),
        (
            "ce_time".to_string(),
            event.time.to_rfc3339_opts(SecondsFormat::AutoSi, true),
        ),
        ("ce_subject".to_string(), event.debtor_id.to_string()),
        ("ce_dataschema".to_string(), data_schema(event.event_type())),
        ("ce_tenantid".to_string(), event.tenant.to_string()),
        ("ce_sequence".to_string(), event.sequence.to_string()),
        (
            "ce_correlationid".to_string(),
            event.correlation_id.to_string(),
        ),
        ("ce_causationid".to_string(), event.causation_id.to_string()),
        ("ce_requesthash".to_string(), event.request_hash.clone()),
    ];
    if let Some(k) = &event.idempotency_key {
        headers.push(("ce_idempotencykey".to_string(), k.clone()));
    }
    headers.push(("content-type".to_string(), CONTENT_TYPE.to_string()));
    LogRecord {
        key: event.key(),
        headers,
        value: event.body.data_json(),
    }
}

/// Decodes a record back into an event. Fails with a reason a dead-letter
/// entry can carry (DESIGN D10).
pub fn decode(record: &LogRecord) -> Result<Event, DecodeError> {
    let get = |name: &'static str| record.header(name).ok_or(DecodeError::BadAttribute(name));
    if get("ce_specversion")? != SPEC_VERSION {
        return Err(DecodeError::BadAttribute("ce_specversion"));
    }
    let uuid = |name: &'static str| -> Result<Uuid, DecodeError> {
        get(name)?
            .parse()
            .map_err(|_| DecodeError::BadAttribute(name))
    };
    let event_type = get("ce_type")?;
    let time: DateTime<Utc> = DateTime::parse_from_rfc3339(get("ce_time")?)
        .map_err(|_| DecodeError::BadAttribute("ce_time"))?
        .with_timezone(&Utc);
    let tenant =
        TenantId::new(get("ce_tenantid")?).map_err(|_| DecodeError::BadAttribute("ce_tenantid"))?;
    let debtor_id =
        DebtorId::new(get("ce_subject")?).map_err(|_| DecodeError::BadAttribute("ce_subject"))?;
    if record.key != crate::ids::stream_key(&tenant, &debtor_id) {
        return Err(DecodeError::BadAttribute("key"));
    }
    let sequence = get("ce_sequence")?
        .parse()
        .map_err(|_| DecodeError::BadAttribute("ce_sequence"))?;
    let body = EventBody::from_type_and_data(event_type, &record.value)?;
    Ok(Event {
        id: uuid("ce_id")?,
        tenant,
        debtor_id,
        sequence,
        time,
        causation_id: uuid("ce_causationid")?,
        correlation_id: uuid("ce_correlationid")?,
        idempotency_key: record.header("ce_idempotencykey").map(str::to_string),
        request_hash: get("ce_requesthash")?.to_string(),
        body,
    })
}
