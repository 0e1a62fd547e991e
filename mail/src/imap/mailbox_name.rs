//! Mailbox names on the wire: IMAP4rev1 writes non-ASCII names in modified UTF-7
//! (RFC 3501 section 5.1.3), so that `Käsitelty` in the settings reaches the server as
//! `K&AOQ-sitelty`.

/// The modified base64 alphabet: `,` stands for `/`, and there is no padding.
const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/// The wire form of a mailbox name given in UTF-8.
pub(crate) fn encode(name: &str) -> String {
    let mut encoded = String::with_capacity(name.len());
    let mut pending: Vec<u16> = Vec::new();
    for character in name.chars() {
        if (' '..='~').contains(&character) {
            flush(&mut pending, &mut encoded);
            if character == '&' {
                encoded.push_str("&-");
            } else {
                encoded.push(character);
            }
        } else {
            let mut units = [0_u16; 2];
            pending.extend_from_slice(character.encode_utf16(&mut units));
        }
    }
    flush(&mut pending, &mut encoded);
    encoded
}

fn flush(pending: &mut Vec<u16>, encoded: &mut String) {
    if pending.is_empty() {
        return;
    }
    let bytes: Vec<u8> = pending.drain(..).flat_map(u16::to_be_bytes).collect();
    encoded.push('&');
    for chunk in bytes.chunks(3) {
        let mut group = [0_u8; 3];
        for (slot, byte) in group.iter_mut().zip(chunk) {
            *slot = *byte;
        }
        let [first, second, third] = group;
        let bits = u32::from(first) << 16 | u32::from(second) << 8 | u32::from(third);
        let symbols = chunk.len() + 1;
        for index in 0..symbols {
            let sextet = (bits >> (18 - 6 * index)) & 0x3f;
            if let Some(symbol) = usize::try_from(sextet)
                .ok()
                .and_then(|sextet| ALPHABET.get(sextet))
            {
                encoded.push(char::from(*symbol));
            }
        }
    }
    encoded.push('-');
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn ascii_names_stay_as_they_are() {
        assert_eq!(encode("INBOX"), "INBOX");
        assert_eq!(encode("Processed/2026"), "Processed/2026");
    }

    #[test]
    fn ampersand_and_non_ascii_are_encoded() {
        // The examples of RFC 3501 section 5.1.3 and RFC 2152.
        assert_eq!(encode("Tom & Jerry"), "Tom &- Jerry");
        assert_eq!(
            encode("~peter/mail/台北/日本語"),
            "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
        );
        assert_eq!(encode("Käsitelty"), "K&AOQ-sitelty");
        assert_eq!(encode("Behandlat åäö"), "Behandlat &AOUA5AD2-");
        assert_eq!(encode("😀"), "&2D3eAA-");
    }
}
