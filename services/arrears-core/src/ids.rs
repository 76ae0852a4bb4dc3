//! Identifiers chosen by clients (debtor, account, payment, ...) and by the tenant.
//!
//! They are validated once, at construction, so every layer can rely on them:
//! 1 to 64 characters from `[A-Za-z0-9._:-]`. The slash is excluded on purpose:
//! the Kafka key of a debtor's stream is `{tenant}/{debtor}`, and it must split
//! back unambiguously.

use std::fmt;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{value}` is not a valid identifier: use 1 to 64 characters from A-Z a-z 0-9 . _ : -")]
pub struct InvalidId {
    pub value: String,
}

/// Checks the identifier alphabet and length shared by every id type.
pub fn validate_id(s: &str) -> Result<(), InvalidId> {
    let ok = !s.is_empty()
        && s.len() <= 64
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(InvalidId {
            value: s.chars().take(80).collect(),
        })
    }
}

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// Validates and wraps the identifier.
            pub fn new(s: impl Into<String>) -> Result<Self, InvalidId> {
                let s = s.into();
                validate_id(&s)?;
                Ok($name(s))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = InvalidId;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                $name::new(s)
            }
        }

        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl JsonSchema for $name {
            fn schema_name() -> std::borrow::Cow<'static, str> {
                "Identifier".into()
            }
            fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
                id_schema()
            }
        }
    };
}

fn id_schema() -> schemars::Schema {
    schemars::json_schema!({
        "type": "string",
        "minLength": 1,
        "maxLength": 64,
        "pattern": "^[A-Za-z0-9._:-]{1,64}$",
    })
}

id_type!(
    /// The tenant (creditor or agency) that owns the data. Every event carries it.
    TenantId
);
id_type!(
    /// The debtor: the aggregate and the unit of ordering and contact limits.
    DebtorId
);
id_type!(
    /// One obligation (loan, invoice, card balance) of a debtor.
    AccountId
);
id_type!(
    /// A payment, as identified by the payer's channel (gateway or bank transaction id).
    PaymentId
);
id_type!(
    /// A charge (interest, fee) applied to an account.
    ChargeId
);
id_type!(
    /// A promise-to-pay.
    PromiseId
);
id_type!(
    /// A dispute raised on an account.
    DisputeId
);
id_type!(
    /// A contact attempt (call, message, letter, visit).
    AttemptId
);

/// The key of a debtor's stream: `{tenant}/{debtor}` (DESIGN D1).
pub fn stream_key(tenant: &TenantId, debtor: &DebtorId) -> String {
    format!("{tenant}/{debtor}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_alphabet_only() {
        assert!(DebtorId::new("d-001:A_b.c").is_ok());
        assert!(DebtorId::new("").is_err());
        assert!(
            DebtorId::new("a/b").is_err(),
            "slash would break the stream key"
        );
        assert!(DebtorId::new("a b").is_err());
        assert!(DebtorId::new("x".repeat(64)).is_ok());
        assert!(DebtorId::new("x".repeat(65)).is_err());
        assert!(serde_json::from_str::<AccountId>(r#""acc 1""#).is_err());
    }

    #[test]
    fn stream_key_joins_tenant_and_debtor() {
        let t = TenantId::new("acme").unwrap();
        let d = DebtorId::new("d-1").unwrap();
        assert_eq!(stream_key(&t, &d), "acme/d-1");
    }
}
