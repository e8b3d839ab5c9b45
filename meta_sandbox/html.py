"""Tiny HTML helpers for the sandbox's two pages (OAuth dialog, console).

Everything interpolated goes through `esc`; there are no templates and no JavaScript
beyond one-line progressive enhancements, so the pages work in any browser test.
"""

from html import escape

from werkzeug.wrappers import Response

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
     background:#f0f2f5;color:#1c1e21}
header{background:#1877f2;color:#fff;padding:12px 24px;font-weight:600;font-size:17px}
header small{font-weight:400;opacity:.85;margin-left:8px}
main{max-width:980px;margin:24px auto;padding:0 16px}
.card{background:#fff;border-radius:8px;box-shadow:0 1px 2px rgba(0,0,0,.15);
      padding:20px 24px;margin-bottom:16px}
.narrow{max-width:560px}
h1{font-size:20px;margin:0 0 8px} h2{font-size:16px;margin:0 0 10px}
fieldset{border:1px solid #dddfe2;border-radius:6px;margin:0 0 14px;padding:10px 14px}
legend{font-weight:600;padding:0 4px}
label{display:block;padding:3px 0}
label.off{color:#8a8d91}
.hint{color:#65676b;font-size:13px}
.row{display:flex;gap:10px;align-items:center;flex-wrap:wrap}
button{font:inherit;border:0;border-radius:6px;padding:8px 18px;cursor:pointer;
       background:#e4e6eb;color:#1c1e21;font-weight:600}
button.primary{background:#1877f2;color:#fff}
select,input[type=number],input[type=text]{font:inherit;padding:5px 8px;border:1px solid #ccd0d5;
       border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid #ebedf0;vertical-align:top}
th{color:#65676b;font-weight:600}
code{font:12px ui-monospace,SFMono-Regular,Menlo,monospace;word-break:break-all}
.error{border-left:4px solid #fa383e}
.ok{color:#1e8e3e}.bad{color:#c5221f}
"""


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def page(title: str, body: str, *, subtitle: str = "Meta sandbox") -> str:
    return (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>"
        f"<header>facebook<small>{esc(subtitle)}</small></header><main>{body}</main></body></html>"
    )


def html_response(text: str, status: int = 200) -> Response:
    return Response(text, status=status, content_type="text/html; charset=utf-8")


def checkbox(name: str, value: str, label: str, *, checked: bool, disabled: bool = False) -> str:
    element_id = f"{name}-{value}"
    flags = (" checked" if checked else "") + (" disabled" if disabled else "")
    css = ' class="off"' if disabled else ""
    return (
        f'<label{css} for="{esc(element_id)}"><input type="checkbox" id="{esc(element_id)}" '
        f'name="{esc(name)}" value="{esc(value)}"{flags}> {label}</label>'
    )
