"""Signing keys, the PAdES certification signature, and checking a signed pack independently.

A person who has no signing certificate gets a small local CA and a certificate it issues
(``create_key``): the PKCS#12 holds the signing key, its certificate and the CA certificate; the
CA certificate is also written beside it for the auditor, who tells their verifier (``segdesk
verify --cert``, pdfsig's NSS database, Adobe's trusted certificates) to trust it. The CA's own
private key is thrown away once it has issued the one certificate, so nobody can issue another
in that name.

A pack is signed once, as a *certification* signature that allows no change at all (DocMDP
level 1, ETSI.CAdES.detached). ``verify_pdf`` accepts a file only if its one signature is intact,
cryptographically valid, certifies the document, and covers every byte of the file: pyHanko
reports bytes appended after the signed revision only through ``coverage``, so that is checked here
rather than trusting its summary.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from segdesk.domain.problems import InputError
from segdesk.pack.files import write_atomically

PASSPHRASE_MIN = 8
KEY_BITS = 3072
SIGNATURE_FIELD = "SegDeskSignature"
STAMP_FONT_SIZE = 8


@dataclass(frozen=True)
class CreatedKey:
    p12: Path
    ca_certificate: Path
    signer: str
    organisation: str | None
    fingerprint: str  # SHA-256 of the signing certificate, as auditors compare it
    ca_fingerprint: str
    not_after: dt.datetime


def split_name(name: str) -> tuple[str, str | None]:
    """ "Jane Doe, Acme Fund Services" -> ("Jane Doe", "Acme Fund Services")."""
    person, _, organisation = (" ".join(name.split())).partition(",")
    person, organisation = person.strip(), organisation.strip()
    if not person:
        raise InputError('a signer\'s name is required, e.g. --name "Jane Doe, Acme Fund Services"')
    return person, organisation or None


def ca_certificate_path(p12: Path) -> Path:
    return p12.with_name(f"{p12.stem}-ca.crt")


def create_key(out: Path, name: str, passphrase: str, *, years: int = 3) -> CreatedKey:
    """A passphrase-protected PKCS#12 for ``name``, issued by a fresh local CA (exported beside it)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID

    person, organisation = split_name(name)
    if len(passphrase) < PASSPHRASE_MIN:
        raise InputError(f"the passphrase must be at least {PASSPHRASE_MIN} characters")
    if out.suffix.lower() not in (".p12", ".pfx"):
        raise InputError(f"{out}: a key file is a .p12 (or .pfx) file")
    ca_path = ca_certificate_path(out)
    for path in (out, ca_path):
        if path.exists():
            raise InputError(f"{path}: already exists; a key is never overwritten (choose another --out)")
    if not out.parent.is_dir():
        raise InputError(f"{out.parent}: no such folder")

    def subject(common_name: str) -> x509.Name:
        parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
        if organisation:
            parts.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
        return x509.Name(parts)

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(minutes=5)  # tolerate a verifier whose clock is a little behind
    ca_key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    ca_name = subject(f"{person} signing CA (SegDesk)")
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + dt.timedelta(days=365 * (years + 1)))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=False, content_commitment=False, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=True, crl_sign=True,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject(person))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(now + dt.timedelta(days=365 * years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                          data_encipherment=False, key_agreement=False, key_cert_sign=False, crl_sign=False,
                          encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(
                ca_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
            ),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    p12 = pkcs12.serialize_key_and_certificates(
        name=person.encode("utf-8"), key=key, cert=cert, cas=[ca_cert],
        encryption_algorithm=serialization.BestAvailableEncryption(passphrase.encode("utf-8")),
    )
    write_atomically(out, p12, private=True)  # the private key: its owner's only
    write_atomically(ca_path, ca_cert.public_bytes(serialization.Encoding.PEM))
    return CreatedKey(
        out, ca_path, person, organisation,
        cert.fingerprint(hashes.SHA256()).hex(), ca_cert.fingerprint(hashes.SHA256()).hex(),
        cert.not_valid_after_utc,
    )


# --- signing -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SigningKey:
    """An opened PKCS#12: who signs, and the pyHanko signer that does it."""

    signer: object  # pyhanko.sign.signers.SimpleSigner
    name: str
    fingerprint: str
    not_after: dt.datetime


def open_key(path: Path, passphrase: str) -> SigningKey:
    """Open a PKCS#12 (ours or a firm's own), refusing a wrong passphrase or an unusable certificate."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.serialization import pkcs12
    from cryptography.x509.oid import NameOID
    from pyhanko.sign import signers

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such key file (make one with `segdesk keys create`)") from None
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(data, passphrase.encode("utf-8"))
    except ValueError:
        raise InputError(f"{path}: the passphrase is wrong, or this is not a PKCS#12 key file") from None
    if key is None or cert is None:
        raise InputError(f"{path}: holds no private key with its certificate")
    now = dt.datetime.now(dt.UTC)
    if cert.not_valid_after_utc < now:
        raise InputError(f"{path}: the signing certificate expired on {cert.not_valid_after_utc:%Y-%m-%d}")
    if cert.not_valid_before_utc > now:
        raise InputError(f"{path}: the signing certificate is not valid before {cert.not_valid_before_utc:%Y-%m-%d}")
    signer = signers.SimpleSigner.load_pkcs12(path, passphrase=passphrase.encode("utf-8"))
    if signer is None:  # pyHanko could not use what cryptography could read
        raise InputError(f"{path}: this key cannot sign PDF documents")
    names = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
    name = str(names[0].value) if names else cert.subject.rfc4514_string()
    return SigningKey(signer, name, cert.fingerprint(hashes.SHA256()).hex(), cert.not_valid_after_utc)


def sign_pdf(unsigned: bytes, key: SigningKey, *, reason: str, box: tuple[int, int, int, int], font: Path,
             stamp_note: str = "", location: str | None = None) -> bytes:
    """``unsigned`` with a visible PAdES certification signature (no changes allowed) on page 1;
    the visible block shows the signer, the signing time and ``stamp_note`` (a short reason)."""
    from pyhanko.pdf_utils.font.opentype import GlyphAccumulatorFactory
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.text import TextBoxStyle
    from pyhanko.sign import fields, signers
    from pyhanko.stamp import TextStampStyle

    logging.getLogger("fontTools.subset").setLevel(logging.ERROR)  # "FFTM NOT subset" is noise, not news
    meta = signers.PdfSignatureMetadata(
        field_name=SIGNATURE_FIELD,
        md_algorithm="sha256",
        reason=reason,
        location=location,
        name=key.name,
        certify=True,
        docmdp_permissions=fields.MDPPerm.NO_CHANGES,
        subfilter=fields.SigSeedSubFilter.PADES,
        signer_key_usage={"digital_signature"},
    )
    style = TextStampStyle(
        stamp_text="Digitally signed by %(signer)s\nDate: %(ts)s\n%(note)s",
        timestamp_format="%Y-%m-%d %H:%M:%S UTC",
        # The same size for the font engine and the text box: pyHanko shapes at one and draws at the
        # other, so any difference spreads the letters apart.
        text_box_style=TextBoxStyle(font=GlyphAccumulatorFactory(str(font), font_size=STAMP_FONT_SIZE),
                                    font_size=STAMP_FONT_SIZE, leading=STAMP_FONT_SIZE + 3),
        border_width=1,
        border_color=(0.16, 0.29, 0.45),
        background=None,
    )
    writer = IncrementalPdfFileWriter(BytesIO(unsigned), strict=False)
    pdf_signer = signers.PdfSigner(
        meta, signer=key.signer, stamp_style=style,
        new_field_spec=fields.SigFieldSpec(SIGNATURE_FIELD, on_page=0, box=box),
    )
    out = BytesIO()
    pdf_signer.sign_pdf(writer, output=out, appearance_text_params={"note": stamp_note or reason})
    return out.getvalue()


# --- verifying -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    ok: bool
    problems: tuple[str, ...]
    signer: str | None = None
    organisation: str | None = None
    signed_at: dt.datetime | None = None
    fingerprint: str | None = None  # SHA-256 of the signing certificate
    trusted: bool | None = None  # None: no certificate was given to check it against
    attachments: dict[str, bytes] | None = None


def _certificates(path: Path) -> list[object]:
    """Certificates from a PEM or DER file (asn1crypto objects, as pyHanko's validator wants)."""
    from asn1crypto import pem
    from asn1crypto import x509 as asn1_x509

    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{path}: no such certificate file") from None
    try:
        if pem.detect(data):
            return [asn1_x509.Certificate.load(der) for _, _, der in pem.unarmor(data, multiple=True)]
        cert = asn1_x509.Certificate.load(data)
        cert.native  # noqa: B018 - parse now, so a bad file fails here and not deep in validation
        return [cert]
    except (ValueError, TypeError):
        raise InputError(f"{path}: not a certificate (PEM or DER)") from None


@contextlib.contextmanager
def _quiet_validator() -> Iterator[None]:
    """pyHanko logs a full traceback for an untrusted chain; the verdict already says it plainly."""
    loggers = [logging.getLogger(name) for name in ("pyhanko", "pyhanko_certvalidator")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels, strict=True):
            lg.setLevel(level)


def verify_pdf(data: bytes, *, pinned: Path | None = None) -> Verification:
    """Check a pack on its own, trusting nothing in it: intact, valid, certified with no changes
    allowed, every byte covered, and (with ``pinned``) issued by or equal to that certificate."""
    with _quiet_validator():
        return _verify(data, pinned)


def _verify(data: bytes, pinned: Path | None) -> Verification:
    from pyhanko.pdf_utils.misc import PdfReadError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.fields import MDPPerm
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.errors import SignatureValidationError
    from pyhanko.sign.validation.settings import KeyUsageConstraints
    from pyhanko.sign.validation.status import ModificationLevel, SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    anchors = _certificates(pinned) if pinned is not None else []
    if not data.startswith(b"%PDF-"):
        return Verification(False, ("not a PDF file",))
    try:
        reader = PdfFileReader(BytesIO(data), strict=False)
        signatures = reader.embedded_signatures
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        return Verification(False, (f"the PDF cannot be read: {exc}",))
    if not signatures:
        return Verification(False, ("the PDF carries no signature",))
    problems: list[str] = []
    if len(signatures) > 1:
        problems.append(f"the PDF carries {len(signatures)} signatures; a SegDesk pack has exactly one")
    sig = signatures[0]
    context = ValidationContext(trust_roots=anchors, allow_fetching=False, revocation_mode="soft-fail")
    try:
        status = validate_pdf_signature(
            sig, context,
            key_usage_settings=KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"},
                                                   match_all_key_usages=False),
        )
    except (SignatureValidationError, PdfReadError, ValueError, KeyError, TypeError) as exc:
        return Verification(False, (f"the signature cannot be checked: {exc}",))
    cert = status.signing_cert
    subject = cert.subject.native
    signer = subject.get("common_name")
    organisation = subject.get("organization_name")
    fingerprint = hashlib.sha256(cert.dump()).hexdigest()
    if not status.intact:
        problems.append("the signed content was changed after signing (the digest does not match)")
    if not status.valid:
        problems.append("the signature value does not verify against the signer's certificate")
    if status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        problems.append("the signature does not cover the whole file: " + {
            SignatureCoverageLevel.ENTIRE_REVISION: "bytes were added after the signed part (an update appended "
                                                    "after signing)",
            SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START: "only the start of the file is signed",
        }.get(status.coverage, "which bytes it covers cannot be told"))
    if status.modification_level not in (None, ModificationLevel.NONE):
        problems.append("the document was changed after signing: " + {
            ModificationLevel.LTA_UPDATES: "an update that leaves the pages as they were (document information "
                                           "or validation data) was added",
            ModificationLevel.FORM_FILLING: "form fields were filled in",
            ModificationLevel.ANNOTATIONS: "comments or other annotations were added",
        }.get(status.modification_level, "its content was altered"))
    if sig.docmdp_level != MDPPerm.NO_CHANGES:
        problems.append("the signature is not a certification that allows no changes")
    if status.docmdp_ok is False:
        problems.append("changes made after signing break the certification")
    trusted: bool | None = None
    if pinned is not None:
        # Judged on the certificates alone, so a pack whose content was altered is not also
        # reported as signed by someone else.
        trusted = status.trusted or any(hashlib.sha256(a.dump()).hexdigest() == fingerprint
                                        or _issued_by(cert, a) for a in anchors)
        if not trusted:
            problems.append(f"the signing certificate is not {pinned.name} and was not issued by it")
    attachments = _attachments(reader)
    return Verification(
        not problems, tuple(problems), signer, organisation,
        status.signer_reported_dt, fingerprint, trusted, attachments,
    )


def _issued_by(cert, issuer) -> bool:  # type: ignore[no-untyped-def]
    """Whether ``issuer`` (a CA certificate) signed ``cert`` (asn1crypto certificates)."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature

    try:
        x509.load_der_x509_certificate(cert.dump()).verify_directly_issued_by(
            x509.load_der_x509_certificate(issuer.dump()))
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _attachments(reader) -> dict[str, bytes]:  # type: ignore[no-untyped-def]
    """The files embedded in the document (name -> bytes), read from its EmbeddedFiles name tree."""
    found: dict[str, bytes] = {}
    try:
        names = reader.root["/Names"]["/EmbeddedFiles"]
    except KeyError:
        return found

    def walk(node, depth: int = 0) -> Iterable[tuple[str, object]]:  # type: ignore[no-untyped-def]
        if depth > 16:
            return
        node = node.get_object()
        if "/Names" in node:
            items = node["/Names"]
            for i in range(0, len(items) - 1, 2):
                yield str(items[i]), items[i + 1]
        for kid in node.get("/Kids", []):
            yield from walk(kid, depth + 1)

    for name, spec in walk(names):
        try:
            stream = spec.get_object()["/EF"]["/F"].get_object()
            found[name] = stream.data
        except (KeyError, AttributeError, TypeError, ValueError):
            continue
    return found
