"""The audit log is append-only at every level, and every row carries who, what, when and the request."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from backoffice.audit import Actor, audit_record
from backoffice.context import reset_request_id, set_request_id
from backoffice.models import AuditLog, AuditLogImmutableError
from tests.factories import EmployerFactory, SeekerFactory, UserFactory

pytestmark = pytest.mark.django_db


def make_entry() -> AuditLog:
    employer = EmployerFactory()
    return audit_record(
        actor=Actor.system(), action="employer.updated", target=employer, before={"phone": "1"}, after={"phone": "2"}
    )


class TestAppendOnly:
    def test_model_refuses_update_and_delete(self) -> None:
        entry = make_entry()
        entry.note = "tampered"
        with pytest.raises(AuditLogImmutableError):
            entry.save()
        with pytest.raises(AuditLogImmutableError):
            entry.delete()

    def test_bulk_paths_refuse_too(self) -> None:
        make_entry()
        with pytest.raises(AuditLogImmutableError):
            AuditLog.objects.all().update(note="tampered")
        with pytest.raises(AuditLogImmutableError):
            AuditLog.objects.filter(action="employer.updated").delete()
        assert AuditLog.objects.filter(note="").count() == 1

    def test_no_change_or_delete_permission_exists_for_anyone(self) -> None:
        codenames = set(
            Permission.objects.filter(content_type__app_label="backoffice").values_list("codename", flat=True)
        )
        assert "view_auditlog" in codenames
        assert not {"add_auditlog", "change_auditlog", "delete_auditlog"} & codenames

    def test_database_trigger_rejects_raw_sql(self, require_postgres: None) -> None:
        entry = make_entry()
        for statement in (
            "UPDATE backoffice_auditlog SET note = 'tampered' WHERE id = %s",
            "DELETE FROM backoffice_auditlog WHERE id = %s",
        ):
            with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [entry.pk])
        entry.refresh_from_db()
        assert entry.note == ""

    def test_admin_is_read_only_even_for_superusers(self, admin_client) -> None:  # type: ignore[no-untyped-def]
        entry = make_entry()
        change_url = reverse("admin:backoffice_auditlog_change", args=[entry.pk])
        page = admin_client.get(change_url)
        assert page.status_code == 200
        assert b'name="_save"' not in page.content
        assert admin_client.post(change_url, {"note": "tampered"}).status_code == 403
        assert (
            admin_client.post(reverse("admin:backoffice_auditlog_delete", args=[entry.pk]), {"post": "yes"}).status_code
            == 403
        )
        assert admin_client.get(reverse("admin:backoffice_auditlog_add")).status_code == 403
        entry.refresh_from_db()
        assert entry.note == ""


class TestContent:
    def test_records_actor_target_diff_and_request_id(self) -> None:
        user = UserFactory(username="alice")
        employer = EmployerFactory(business_name="행복식당")
        token = set_request_id("req-12345678")
        try:
            entry = audit_record(
                actor=Actor.staff(user),
                action="employer.updated",
                target=employer,
                before={"business_name": "옛", "phone": "x"},
                after={"business_name": "행복식당", "phone": "x"},
                note="typo",
            )
        finally:
            reset_request_id(token)
        assert (entry.actor, entry.actor_kind, entry.actor_label) == (user, "staff", "alice")
        assert (entry.target_type, entry.target_id, entry.target_repr) == (
            "jobs.employer",
            str(employer.pk),
            "행복식당",
        )
        # Unchanged fields are not recorded.
        assert entry.changes == {"business_name": ["옛", "행복식당"]}
        assert entry.request_id == "req-12345678"

    def test_personal_data_is_redacted(self) -> None:
        seeker = SeekerFactory()
        entry = audit_record(
            actor=Actor.system(),
            action="seeker.updated",
            target=seeker,
            before={"phone": "010-1"},
            after={"phone": "010-2"},
        )
        assert entry.changes == {"phone": ["«redacted»", "«redacted»"]}

    def test_request_id_is_taken_from_upstream_only_when_well_formed(self, admin_client) -> None:  # type: ignore[no-untyped-def]
        response = admin_client.get(reverse("admin:index"), HTTP_X_REQUEST_ID="upstream-req-0001")
        assert response["X-Request-ID"] == "upstream-req-0001"
        # A malformed id is replaced, not echoed into logs.
        response = admin_client.get(reverse("admin:index"), HTTP_X_REQUEST_ID="bad id\nInjected: yes")
        assert response["X-Request-ID"] != "bad id\nInjected: yes"
        assert len(response["X-Request-ID"]) == 32
