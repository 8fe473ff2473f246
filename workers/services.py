"""The services the job handlers use, built once from the settings and shared by every router.

`Services.from_settings(settings)` opens (and migrates) the application store and builds the document store,
the provisioning adapter, the mailer, the e-mail templates and the archiver on top of it. The container is frozen:
handlers read from it, nothing replaces a service while the workers run. Tests build one with their own clock.
"""

from dataclasses import dataclass
from datetime import UTC, datetime

from workers.archive import Archiver
from workers.documents import DocumentStore, LocalDocumentStore
from workers.mail import Mailer, SmtpConfig
from workers.mail_templates import MailTemplates
from workers.provisioning import ProvisioningAdapter, create_provisioning_adapter
from workers.settings import Settings
from workers.store import Clock, Store


def utc_now() -> datetime:
    """The current time, UTC."""
    return datetime.now(UTC)


@dataclass(frozen=True)
class Services:
    """Everything a job handler needs besides the job itself."""

    settings: Settings
    store: Store
    documents: DocumentStore
    provisioning: ProvisioningAdapter
    mailer: Mailer
    templates: MailTemplates
    archiver: Archiver
    clock: Clock

    @classmethod
    def from_settings(cls, settings: Settings, *, clock: Clock | None = None, migrate: bool = True) -> "Services":
        """Open the store (applying pending migrations unless `migrate` is false) and build the other services."""
        clock = clock or utc_now
        store = Store.open(settings.database_url, migrate=migrate, clock=clock)
        documents = LocalDocumentStore(settings.documents_dir, store, max_size=settings.document_max_size)
        return cls(
            settings=settings,
            store=store,
            documents=documents,
            provisioning=create_provisioning_adapter(settings.provisioning, store),
            mailer=Mailer(SmtpConfig.from_settings(settings.smtp), clock=clock),
            templates=MailTemplates(),
            archiver=Archiver(store, documents, settings.archive_dir, settings.retention),
            clock=clock,
        )

    def now(self) -> datetime:
        """The current time (UTC) by the services' clock."""
        return self.clock().astimezone(UTC)

    async def aclose(self) -> None:
        """Release the provisioning adapter's connections and the database connections."""
        try:
            await self.provisioning.close()
        finally:
            self.store.close()
