//! Recognising sensitive columns by name and by value: password and secret names, card
//! number names, password hashes, and card numbers (13 to 19 digits passing the Luhn check).

use myrmex_plugin::schema::ColumnType;

/// A column name cut into lowercase words at `_`, `-`, other punctuation and camelCase.
fn name_words(name: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut lower_before = false;
    for c in name.chars() {
        if !c.is_alphanumeric() {
            out.extend((!cur.is_empty()).then(|| std::mem::take(&mut cur)));
            lower_before = false;
            continue;
        }
        if c.is_uppercase() && lower_before {
            out.extend((!cur.is_empty()).then(|| std::mem::take(&mut cur)));
        }
        cur.extend(c.to_lowercase());
        lower_before = c.is_lowercase() || c.is_ascii_digit();
    }
    out.extend((!cur.is_empty()).then_some(cur));
    out
}

/// Words that make a column name a secret's.
const SECRET_WORDS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "pass",
    "pw",
    "secret",
    "secrets",
    "token",
    "tokens",
    "apikey",
];

/// Endings of a word that make it a secret's (`userpassword`, `accesstoken`).
const SECRET_ENDINGS: &[&str] = &["password", "passwd", "token", "secret"];

/// Word pairs, written together, that name a key (`api_key`, `private_key`).
const SECRET_JOINED: &[&str] = &["apikey", "secretkey", "privatekey", "accesskey"];

/// Words that make a secret-looking name something else (`password_salt`, `token_id`).
const NOT_SECRET: &[&str] = &[
    "salt",
    "hint",
    "id",
    "at",
    "on",
    "date",
    "time",
    "expires",
    "expiry",
    "expiration",
    "count",
    "length",
    "type",
    "policy",
    "changed",
    "updated",
    "created",
    "required",
];

/// True when `name` looks like a password, secret, token or API key column's.
pub fn secret_name(name: &str) -> bool {
    let words = name_words(name);
    if words.iter().any(|w| NOT_SECRET.contains(&w.as_str())) {
        return false;
    }
    let joined = words.concat();
    words.iter().any(|w| {
        SECRET_WORDS.contains(&w.as_str()) || SECRET_ENDINGS.iter().any(|e| w.ends_with(e))
    }) || SECRET_JOINED.iter().any(|j| joined.contains(j))
}

/// Words that alone make a column name a card number's.
const CARD_WORDS: &[&str] = &[
    "card",
    "pan",
    "creditcard",
    "cardnumber",
    "cardno",
    "cardnum",
    "ccnumber",
    "ccnum",
    "ccn",
];

/// Words that name a card number together with `cc` or `credit` (`cc_number`).
const CARD_PAIRED: &[&str] = &["number", "num", "no", "card"];

/// Words that make a card-looking name something else (`card_id`, `card_last4`).
const NOT_CARD: &[&str] = &[
    "id",
    "type",
    "brand",
    "holder",
    "name",
    "exp",
    "expiry",
    "expires",
    "expiration",
    "month",
    "year",
    "last4",
    "last",
    "four",
    "count",
    "token",
    "hash",
    "fingerprint",
    "status",
    "limit",
    "fee",
    "score",
    "country",
    "bin",
    "issuer",
    "kind",
    "has",
    "is",
    "at",
];

/// True when `name` looks like a payment card number column's.
pub fn card_name(name: &str) -> bool {
    let words = name_words(name);
    if words.iter().any(|w| NOT_CARD.contains(&w.as_str())) {
        return false;
    }
    let has = |set: &[&str]| words.iter().any(|w| set.contains(&w.as_str()));
    has(CARD_WORDS) || (has(&["cc", "credit"]) && has(CARD_PAIRED))
}

/// True for a type that holds text.
pub fn is_text(ty: &ColumnType) -> bool {
    match ty {
        ColumnType::Raw(by_dialect) => by_dialect.values().any(|t| {
            let t = t.to_ascii_lowercase();
            ["char", "text", "clob", "string"]
                .iter()
                .any(|k| t.contains(k))
        }),
        other => other.is_text(),
    }
}

/// True for a type that can hold a card number: text, integer or decimal.
pub fn holds_numbers(ty: &ColumnType) -> bool {
    is_text(ty) || ty.is_integer() || matches!(ty, ColumnType::Decimal { .. })
}

/// Beginnings of the hash formats password libraries write.
const HASH_PREFIXES: &[&str] = &[
    "$2a$",
    "$2b$",
    "$2y$",
    "$2x$",
    "$argon2",
    "argon2$",
    "$scrypt$",
    "scrypt:",
    "$7$",
    "$5$",
    "$6$",
    "$pbkdf2",
    "pbkdf2",
    "bcrypt$",
    "bcrypt_sha256$",
    "{SSHA",
    "{SHA",
    "{CRYPT}",
    "SCRAM-SHA-256$",
];

/// True when `value` looks like a password hash: a bcrypt, argon2, scrypt, pbkdf2, crypt
/// or LDAP `{SSHA}` string, `md5` and 32 hex digits, or 32, 40, 64 or 128 hex digits.
pub fn looks_hashed(value: &str) -> bool {
    let v = value.trim();
    let hex = |s: &str| s.chars().all(|c| c.is_ascii_hexdigit());
    HASH_PREFIXES.iter().any(|p| v.starts_with(p))
        || v.strip_prefix("md5")
            .is_some_and(|h| h.len() == 32 && hex(h))
        || (matches!(v.len(), 32 | 40 | 64 | 128) && hex(v))
}

/// True when `value` is a card number: 13 to 19 digits (spaces and dashes between them
/// allowed), not all the same, passing the Luhn check.
pub fn card_like(value: &str) -> bool {
    let v = value.trim();
    if !v
        .chars()
        .all(|c| c.is_ascii_digit() || c == ' ' || c == '-')
    {
        return false;
    }
    let digits: Vec<u32> = v.chars().filter_map(|c| c.to_digit(10)).collect();
    (13..=19).contains(&digits.len()) && digits.iter().any(|&d| d != digits[0]) && luhn(&digits)
}

/// The Luhn check: doubling every second digit from the right, the sum ends in 0.
fn luhn(digits: &[u32]) -> bool {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| match (i % 2 == 1, d * 2) {
            (true, x) if x > 9 => x - 9,
            (true, x) => x,
            (false, _) => d,
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn names_are_cut_into_words() {
        assert_eq!(name_words("apiKey_2"), ["api", "key", "2"]);
        assert_eq!(name_words("HTTPToken"), ["httptoken"]);
        assert_eq!(name_words("user-Password"), ["user", "password"]);
    }

    #[test]
    fn secret_names() {
        for yes in [
            "password",
            "PASSWORD",
            "user_password",
            "passwd",
            "pwd",
            "api_key",
            "apiKey",
            "access_token",
            "refreshToken",
            "client_secret",
            "password_hash",
            "secret",
        ] {
            assert!(secret_name(yes), "{yes}");
        }
        for no in [
            "password_salt",
            "password_hint",
            "token_id",
            "password_changed_at",
            "secretary",
            "passenger",
            "username",
            "bypass_count",
        ] {
            assert!(!secret_name(no), "{no}");
        }
    }

    #[test]
    fn card_names() {
        for yes in [
            "card_number",
            "cardNumber",
            "cc_number",
            "ccnum",
            "pan",
            "credit_card",
            "card",
        ] {
            assert!(card_name(yes), "{yes}");
        }
        for no in [
            "card_id",
            "card_last4",
            "credit",
            "cc",
            "discard",
            "cardinality",
            "card_brand",
            "has_card",
        ] {
            assert!(!card_name(no), "{no}");
        }
    }

    #[test]
    fn text_types() {
        assert!(is_text(&ColumnType::Varchar(80)));
        assert!(!is_text(&ColumnType::Int));
        let raw = |t: &str| ColumnType::Raw(BTreeMap::from([("postgres".into(), t.into())]));
        assert!(is_text(&raw("citext")));
        assert!(!is_text(&raw("tsvector")));
        assert!(holds_numbers(&ColumnType::BigInt));
        assert!(!holds_numbers(&ColumnType::Bool));
    }

    #[test]
    fn hashes() {
        for yes in [
            "$2b$12$C6UzMDM.H6dfI/f/IKxGhuQ8sDWYtIh1sQRxVEJtoDo5Z1gqLtx8W",
            "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA",
            "pbkdf2_sha256$600000$salt$hash=",
            "pbkdf2:sha256:600000$salt$hash",
            "scrypt:32768:8:1$salt$hash",
            "{SSHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=",
            "md5d41d8cd98f00b204e9800998ecf8427e",
            "5f4dcc3b5aa765d61d8327deb882cf99",
            "5baa61e4c9b93f3f0682250b6cf8331b7ee68fd8",
            "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
            &"ab".repeat(64),
        ] {
            assert!(looks_hashed(yes), "{yes}");
        }
        for no in [
            "hunter2",
            "password123",
            "5f4dcc3b5aa765d61d8327deb882cf9",
            "$1x$abc",
            "",
        ] {
            assert!(!looks_hashed(no), "{no}");
        }
    }

    #[test]
    fn card_numbers() {
        for yes in [
            "4111111111111111",
            "4111 1111 1111 1111",
            "5500-0000-0000-0004",
            "378282246310005",
        ] {
            assert!(card_like(yes), "{yes}");
        }
        for no in [
            "4111111111111112",
            "0000000000000000",
            "411111111111",
            "41111111111111111111",
            "4111x111111111111",
            "",
        ] {
            assert!(!card_like(no), "{no}");
        }
    }
}
