"""Stands in for a CryptoPro-based signer in the tests.

Reads the request on stdin and writes it back with an XMLDSig ``Signature``
(dummy digest and value, schema-valid structure) as the first child of the
element ``Id="signed-data-container"``, where the real signer puts it.
"""

import sys

from lxml import etree

DS = "http://www.w3.org/2000/09/xmldsig#"
root = etree.fromstring(sys.stdin.buffer.read())
target = root.xpath("//*[@Id='signed-data-container']")[0]
signature = etree.Element(f"{{{DS}}}Signature", nsmap={"ds": DS})
info = etree.SubElement(signature, f"{{{DS}}}SignedInfo")
etree.SubElement(
    info,
    f"{{{DS}}}CanonicalizationMethod",
    Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#",
)
etree.SubElement(
    info,
    f"{{{DS}}}SignatureMethod",
    Algorithm="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34102012-gostr34112012-256",
)
reference = etree.SubElement(info, f"{{{DS}}}Reference", URI="#signed-data-container")
etree.SubElement(
    reference,
    f"{{{DS}}}DigestMethod",
    Algorithm="urn:ietf:params:xml:ns:cpxmlsec:algorithms:gostr34112012-256",
)
etree.SubElement(reference, f"{{{DS}}}DigestValue").text = "AAAA"
etree.SubElement(signature, f"{{{DS}}}SignatureValue").text = "AAAA"
target.insert(0, signature)
sys.stdout.buffer.write(etree.tostring(root))
