"""The applicants' forms checked field by field, with the rules of `workers.validation` (the commands' and the
workers' rules): every problem is shown next to its field, warnings (a non-`.go.id` address, a NIK whose birth date
disagrees) are shown without stopping, and nothing is stored while any field is wrong."""

from dataclasses import dataclass, field

from workers.domain import AdminPpeRequestData, PersonData, PpbjIdentityData
from workers.validation import ValidationResult, validate_email_address, validate_nik, validate_nip, validate_phone

NAME_LIMIT = 255


@dataclass
class FieldChecks:
    """The problems and warnings of a form, by field name."""

    problems: dict[str, str] = field(default_factory=dict)
    warnings: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Whether every field passed."""
        return not self.problems

    def text(self, name: str, label: str, value: str, *, required: bool = True) -> str:
        """A one-line text field, whitespace collapsed."""
        cleaned = " ".join(value.split())
        if not cleaned and required:
            self.problems[name] = f"{label} wajib diisi."
        elif len(cleaned) > NAME_LIMIT:
            self.problems[name] = f"{label} paling panjang {NAME_LIMIT} karakter."
        return cleaned

    def result(self, name: str, result: ValidationResult) -> str | None:
        """A value checked by `workers.validation` (its messages name what they are about)."""
        if result.problems:
            self.problems[name] = " ".join(issue.pesan for issue in result.problems)
        if result.warnings:
            self.warnings[name] = " ".join(issue.pesan for issue in result.warnings)
        return result.value


def admin_ppe_request(
    fields: dict[str, str], *, official_domains: tuple[str, ...]
) -> tuple[AdminPpeRequestData | None, FieldChecks]:
    """The Kepala LPSE's request form (SOP 1 row 1) as data, or None and the problems."""
    checks = FieldChecks()
    lpse = checks.text("lpse", "Nama LPSE", fields.get("lpse", ""))
    kepala = checks.text("kepala_nama", "Nama Kepala LPSE", fields.get("kepala_nama", ""))
    kepala_email = checks.result(
        "kepala_email",
        validate_email_address(fields.get("kepala_email", ""), official_domains=official_domains),
    )
    admin = checks.text("admin_nama", "Nama Admin PPE", fields.get("admin_nama", ""))
    nik_raw = fields.get("admin_nik", "")
    nik = checks.result("admin_nik", validate_nik(nik_raw))
    nip = checks.result("admin_nip", validate_nip(fields.get("admin_nip", ""), nik=nik_raw))
    email = checks.result(
        "admin_email",
        validate_email_address(fields.get("admin_email", ""), official_domains=official_domains),
    )
    whatsapp = checks.result("admin_wa", validate_phone(fields.get("admin_wa", "")))
    institution = checks.text("admin_instansi", "Instansi", fields.get("admin_instansi", ""), required=False)
    position = checks.text("admin_jabatan", "Jabatan", fields.get("admin_jabatan", ""), required=False)
    if not checks.ok:
        return None, checks
    data = AdminPpeRequestData(
        lpse_name=lpse,
        kepala_lpse=PersonData(name=kepala, email=kepala_email),
        admin_ppe=PersonData(
            name=admin,
            email=email,
            whatsapp=whatsapp,
            nik=nik,
            nip=nip,
            institution=institution or None,
            position=position or None,
        ),
    )
    return data, checks


def ppbj_registration(
    fields: dict[str, str], *, official_domains: tuple[str, ...]
) -> tuple[PersonData | None, FieldChecks]:
    """The PPBJ's registration form (SOP 2 row 1): name, an active e-mail and WhatsApp number."""
    checks = FieldChecks()
    name = checks.text("nama", "Nama lengkap", fields.get("nama", ""))
    email = checks.result("email", validate_email_address(fields.get("email", ""), official_domains=official_domains))
    whatsapp = checks.result("wa", validate_phone(fields.get("wa", "")))
    if not checks.ok:
        return None, checks
    return PersonData(name=name, email=email, whatsapp=whatsapp), checks


def ppbj_identity(fields: dict[str, str]) -> tuple[PpbjIdentityData | None, FieldChecks]:
    """The PPBJ's identity form (SOP 2 row 3): NIK, NIP, institution, position."""
    checks = FieldChecks()
    nik_raw = fields.get("nik", "")
    nik = checks.result("nik", validate_nik(nik_raw))
    nip = checks.result("nip", validate_nip(fields.get("nip", ""), nik=nik_raw))
    institution = checks.text("instansi", "Instansi", fields.get("instansi", ""))
    position = checks.text("jabatan", "Jabatan", fields.get("jabatan", ""))
    if not checks.ok or nik is None or nip is None:
        return None, checks
    return PpbjIdentityData(nik=nik, nip=nip, institution=institution, position=position), checks
