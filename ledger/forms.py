"""Forms of the ledger part: uploading an existing Excel ledger for import."""

from __future__ import annotations

from django import forms

from ledger import imports
from qinqing.forms import StyledForm
from qinqing.models import User
from qinqing.roles import Role


class LedgerUploadForm(StyledForm):
    """The file and the specialist for rows whose 帮办专员 is empty. A valid form has a readable file."""

    file = forms.FileField(
        label="台账文件",
        help_text=(
            f"Excel 2007 及以上的 .xlsx 文件，不超过 {imports.MAX_UPLOAD_BYTES // (1024 * 1024)} MB、"
            f"{imports.MAX_ROWS} 行；读取名为“工作台账”的工作表（没有则读第一个工作表）。"
            "列的顺序不限，表头在前 10 行内即可。"
        ),
        error_messages={"required": "请选择要导入的台账文件。", "empty": "文件是空的（0 字节），请重新选择文件。"},
        widget=forms.FileInput(attrs={"accept": ".xlsx"}),
    )
    default_specialist = forms.ModelChoiceField(
        label="默认帮办专员",
        queryset=User.objects.none(),
        required=False,
        empty_label="（不指定：未填写专员的行不导入）",
        help_text="台账中“帮办专员”为空的行，按此人导入。",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["default_specialist"].queryset = (
            User.objects.filter(is_active=True, groups__name=Role.SPECIALIST).order_by("display_name").distinct()
        )
        self.fields["default_specialist"].label_from_instance = lambda user: user.name
        self.checked: tuple[str, bytes, imports.Table] | None = None

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            self.checked = imports.validate_upload(upload)
        except imports.ImportFileError as error:
            raise forms.ValidationError(error.message, code="bad_file") from None
        return upload
