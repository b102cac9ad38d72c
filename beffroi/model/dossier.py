"""Data only the dossiers use: Cerfa 13806*04 fields the deployment does not need, the
convention between the commune and the operator, and which values are example data."""

from __future__ import annotations

from datetime import date

from pydantic import Field

from beffroi.model.base import Hostname, Identifier, NonEmpty, OptionalText, Strict


class ContactPerson(Strict):
    """Cerfa 13806*04 §2: the person to contact (images made available to the police)."""

    name: NonEmpty
    role: NonEmpty = Field(description="Function, e.g. « secrétaire de mairie »")
    phone: NonEmpty
    email: OptionalText = ""


class ExampleData(Strict):
    """What in the site file is invented (nothing real is known yet): shown as such."""

    habilitations: list[Identifier] = Field(
        default_factory=list, description="Ids of habilitations whose person is invented")
    cameras: list[Hostname] = Field(
        default_factory=list, description="Cameras whose position and field are invented")
    fields: list[NonEmpty] = Field(
        default_factory=list, description="Dotted paths of other invented values, e.g. "
        "controller.phone")


class SiteDossier(Strict):
    """`dossier:` block of a site file: Cerfa fields that nothing else in the model holds."""

    siret: str = Field("", pattern=r"^([0-9]{14})?$",
                       description="SIRET of the commune (14 digits)")
    contact: ContactPerson | None = None
    perimeter: bool = Field(False, description="Cerfa option « périmètre vidéoprotégé »")
    perimeter_description: OptionalText = ""
    installer_address: OptionalText = ""
    examples: ExampleData = Field(default_factory=ExampleData)


class Party(Strict):
    """A party to the convention, as the convention names it."""

    name: NonEmpty
    address: NonEmpty
    representative: NonEmpty
    representative_title: NonEmpty


class Convention(Strict):
    """The experimentation convention between the pilot commune and the operator."""

    title: NonEmpty
    pilot_site: Identifier
    operator: Party
    start: date
    months: int = Field(ge=1)
    extension_months: int = Field(0, ge=0)
    deliverables_due: date | None = None
    processor_contract: OptionalText = Field(
        "", description="Art. 28 RGPD contract reference, once signed")
    access_agreement: OptionalText = Field(
        "", description="Art. 10.1 access agreement reference, once signed")

    def end(self, extended: bool = False) -> date:
        """Last day covered (the day before start + months [+ extension])."""
        from datetime import timedelta

        total = self.months + (self.extension_months if extended else 0)
        y, m = divmod(self.start.month - 1 + total, 12)
        return date(self.start.year + y, m + 1, self.start.day) - timedelta(days=1)
