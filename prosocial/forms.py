"""The project's form renderer: Bootstrap markup for every Django form, from templates."""

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Render forms and fields with ``templates/forms/`` (widgets in ``templates/django/``)."""

    form_template_name = "forms/form.html"
    field_template_name = "forms/field.html"
