"""The back-office's own admin theme (django-admin-interface): its name in the header, calm colours that
keep status colours readable, sticky filters and form buttons for long moderation pages."""

from django.db import migrations

THEME = {
    "title": "Job marketplace back-office · 잡마켓 백오피스",
    "title_color": "#FFFFFF",
    "logo_visible": False,
    "css_header_background_color": "#1F2A44",
    "css_header_text_color": "#E8ECF4",
    "css_header_link_color": "#FFFFFF",
    "css_header_link_hover_color": "#C9D6F2",
    "css_module_background_color": "#2F4A7D",
    "css_module_background_selected_color": "#FFF7D6",
    "css_module_text_color": "#FFFFFF",
    "css_module_link_color": "#FFFFFF",
    "css_module_link_selected_color": "#1F2A44",
    "css_module_link_hover_color": "#C9D6F2",
    "css_generic_link_color": "#2F4A7D",
    "css_generic_link_hover_color": "#1F2A44",
    "css_save_button_background_color": "#2F4A7D",
    "css_save_button_background_hover_color": "#1F2A44",
    "language_chooser_active": True,
    "list_filter_dropdown": True,
    "list_filter_sticky": True,
    "form_submit_sticky": True,
    "related_modal_active": True,
    "recent_actions_visible": True,
}


def apply_theme(apps, schema_editor):
    Theme = apps.get_model("admin_interface", "Theme")
    Theme.objects.filter(active=True).update(active=False)
    Theme.objects.update_or_create(name="Back-office", defaults={**THEME, "active": True})


def revert_theme(apps, schema_editor):
    Theme = apps.get_model("admin_interface", "Theme")
    Theme.objects.filter(name="Back-office").delete()
    Theme.objects.filter(name="Django").update(active=True)


class Migration(migrations.Migration):
    dependencies = [
        ("backoffice", "0003_roles"),
        ("admin_interface", "0032_alter_theme_defaults"),
    ]
    operations = [migrations.RunPython(apply_theme, revert_theme)]
