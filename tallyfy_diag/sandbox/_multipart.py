"""Reading a `multipart/form-data` body with the standard library (the sandbox's only multipart endpoint is
the file upload, so no multipart dependency is worth adding)."""

from __future__ import annotations

from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import HTTP

import attrs


@attrs.frozen
class UploadedFile:
    filename: str
    content: bytes = attrs.field(repr=False)


def parse_form_data(content_type: str, body: bytes) -> dict[str, str | UploadedFile]:
    """The form's fields by name (the last of repeated names wins); ValueError when it is not multipart."""
    if "boundary=" not in content_type:
        raise ValueError("multipart/form-data needs a boundary parameter")
    header = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1", "replace")
    message = BytesParser(policy=HTTP).parsebytes(header + body)
    if not isinstance(message, EmailMessage) or not message.is_multipart():
        raise ValueError("not a multipart body")
    fields: dict[str, str | UploadedFile] = {}
    for part in message.iter_parts():
        if not isinstance(part, EmailMessage):
            continue
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        content = part.get_payload(decode=True)
        content = content if isinstance(content, bytes) else b""
        filename = part.get_filename()
        fields[name] = UploadedFile(filename, content) if filename is not None else content.decode("utf-8", "replace")
    return fields
