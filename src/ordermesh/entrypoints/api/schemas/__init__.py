"""Request and response bodies: input schemas validate, output schemas present."""
