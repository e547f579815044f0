def register_document_kinds() -> None:
    pass
