"""GOST R 34.11-94 against the published test vectors (RFC 5831 and the
CryptoPro parameter set's vectors that CryptoPro, OpenSSL's GOST engine and
Nettle check)."""

import io

import pytest
from hgzm.tools import gost94

CRYPTOPRO = [
    (b"", "981e5f3ca30c841487830f84fb433e13ac1101569b9c13584ac483234cd656c0"),
    (b"a", "e74c52dd282183bf37af0079c9f78055715a103f17e3133ceff1aacf2f403011"),
    (b"abc", "b285056dbf18d7392d7677369524dd14747459ed8143997e163b2986f92fd42c"),
    (
        b"message digest",
        "bc6041dd2aa401ebfa6e9886734174febdb4729aa972d60f549ac39b29721ba0",
    ),
    (
        b"The quick brown fox jumps over the lazy dog",
        "9004294a361a508c586fe53d1f1b02746765e71b765472786e4770d565830a76",
    ),
    (
        b"This is message, length=32 bytes",
        "2cefc2f7b7bdc514e18ea57fa74ff357e7fa17d652c75f69cb1be7893ede48eb",
    ),
    (
        b"Suppose the original message has length = 50 bytes",
        "c3730c5cbccacf915ac292676f21e8bd4ef75331d9405e5f1a61dc3130a65011",
    ),
    (b"U" * 128, "1c4ac7614691bbf427fa2316216be8f10d92edfd37cd1027514c1008f649c4e8"),
]
# RFC 5831, 7.3: the examples of GOST R 34.11-94 itself (test parameters).
TEST_PARAMS = [
    (b"", "ce85b99cc46752fffee35cab9a7b0278abb4c2d2055cff685af4912c49490f8d"),
    (
        b"This is message, length=32 bytes",
        "b1c466d37519b82e8319819ff32595e047a28cb6f83eff1c6916a815a637fffa",
    ),
    (
        b"Suppose the original message has length = 50 bytes",
        "471aba57a60a770d3a76130635c1fbea4ef14de51f78b4ae57dd893b62f55208",
    ),
]


@pytest.mark.parametrize(("message", "expected"), CRYPTOPRO)
def test_cryptopro_vectors(message, expected):
    assert gost94.Gost94(message).hexdigest() == expected


@pytest.mark.parametrize(("message", "expected"), TEST_PARAMS)
def test_rfc5831_test_parameter_vectors(message, expected):
    assert gost94.Gost94(message, sbox=gost94.TEST_SBOX).hexdigest() == expected


def test_million_a_in_pieces_and_from_a_file():
    expected = "8693287aa62f9478f7cb312ec0866b6c4e4a0f11160441e8f4ffcd2715dd554f"
    digest = gost94.Gost94()
    for size in (1, 31, 33, 64, 999_871):  # pieces across block boundaries
        digest.update(b"a" * size)
    assert digest.hexdigest() == expected
    assert gost94.hash_file(io.BytesIO(b"a" * 1_000_000), chunk_size=4097) == expected
