//! PostgreSQL's binary `numeric` (base-10000 digits) → exact decimal text.

/// Decodes a binary `numeric`; `None` when the bytes are malformed.
///
/// Layout: `ndigits: i16, weight: i16, sign: u16, dscale: i16`, then `ndigits` base-10000
/// digits; the value is Σ digit[i] · 10000^(weight − i), shown with `dscale` decimals.
pub fn decode(raw: &[u8]) -> Option<String> {
    if raw.len() < 8 {
        return None;
    }
    let be16 = |i: usize| i16::from_be_bytes([raw[i], raw[i + 1]]);
    let ndigits = usize::try_from(be16(0)).ok()?;
    let weight = i32::from(be16(2));
    let sign = u16::from_be_bytes([raw[4], raw[5]]);
    let dscale = usize::try_from(be16(6)).ok()?;
    match sign {
        0xC000 => return Some("NaN".into()),
        0xD000 => return Some("Infinity".into()),
        0xF000 => return Some("-Infinity".into()),
        0x0000 | 0x4000 => {}
        _ => return None,
    }
    if raw.len() < 8 + 2 * ndigits {
        return None;
    }
    let digits: Vec<i16> = (0..ndigits).map(|i| be16(8 + 2 * i)).collect();
    let mut int_part = String::new();
    for pos in 0..=weight.max(-1) {
        let d = digits.get(pos as usize).copied().unwrap_or(0);
        if int_part.is_empty() {
            if d != 0 {
                int_part = d.to_string();
            }
        } else {
            int_part.push_str(&format!("{d:04}"));
        }
    }
    if int_part.is_empty() {
        int_part.push('0');
    }
    let mut frac = String::new();
    let mut pos = weight + 1;
    while frac.len() < dscale {
        let d = if pos < 0 {
            0
        } else {
            digits.get(pos as usize).copied().unwrap_or(0)
        };
        frac.push_str(&format!("{d:04}"));
        pos += 1;
    }
    frac.truncate(dscale);
    let mut s = String::new();
    if sign == 0x4000 {
        s.push('-');
    }
    s.push_str(&int_part);
    if dscale > 0 {
        s.push('.');
        s.push_str(&frac);
    }
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::decode;

    fn enc(ndigits: i16, weight: i16, sign: u16, dscale: i16, digits: &[i16]) -> Vec<u8> {
        let mut v = Vec::new();
        for x in [ndigits, weight] {
            v.extend(x.to_be_bytes());
        }
        v.extend(sign.to_be_bytes());
        v.extend(dscale.to_be_bytes());
        for d in digits {
            v.extend(d.to_be_bytes());
        }
        v
    }

    #[test]
    fn decodes_exactly() {
        // 12345678901234567890.0123456789 = 1234 5678 9012 3456 7890 . 0123 4567 89
        let raw = enc(
            8,
            4,
            0,
            10,
            &[1234, 5678, 9012, 3456, 7890, 123, 4567, 8900],
        );
        assert_eq!(decode(&raw).unwrap(), "12345678901234567890.0123456789");
        assert_eq!(decode(&enc(1, -1, 0x4000, 3, &[5000])).unwrap(), "-0.500");
        assert_eq!(decode(&enc(0, 0, 0, 2, &[])).unwrap(), "0.00");
        assert_eq!(decode(&enc(1, 1, 0, 0, &[1])).unwrap(), "10000");
        assert_eq!(decode(&enc(1, -2, 0, 6, &[1200])).unwrap(), "0.000012");
        assert_eq!(decode(&enc(1, -2, 0, 8, &[12])).unwrap(), "0.00000012");
        assert_eq!(decode(&enc(0, 0, 0xC000, 0, &[])).unwrap(), "NaN");
    }
}
