//! PostgreSQL's binary `numeric` (base-10000 digits) → exact decimal text.

/// Decodes a binary `numeric`; `None` when the bytes are malformed.
///
/// Layout: `ndigits: i16, weight: i16, sign: u16, dscale: i16`, then `ndigits` base-10000
/// digits; the value is Σ `digit[i]` · 10000^(weight − i), shown with `dscale` decimals.
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
    let digit = |pos: i32| -> i16 {
        if pos < 0 || pos as usize >= ndigits {
            0
        } else {
            be16(8 + 2 * pos as usize)
        }
    };
    // Written digit by digit into one buffer: this runs for every numeric of a large result.
    let mut s = String::with_capacity(4 * (ndigits + 2) + dscale + 2);
    if sign == 0x4000 {
        s.push('-');
    }
    let push4 = |s: &mut String, d: i16, skip_leading: bool| {
        let d = d.max(0) as u16;
        let mut started = !skip_leading;
        for div in [1000u16, 100, 10, 1] {
            let x = (d / div) % 10;
            if started || x != 0 || div == 1 {
                s.push(char::from(b'0' + x as u8));
                started = true;
            }
        }
    };
    if weight < 0 {
        s.push('0');
    } else {
        for pos in 0..=weight {
            push4(&mut s, digit(pos), pos == 0);
        }
    }
    if dscale > 0 {
        s.push('.');
        let start = s.len();
        let mut pos = weight + 1;
        while s.len() - start < dscale {
            push4(&mut s, digit(pos), false);
            pos += 1;
        }
        s.truncate(start + dscale);
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
