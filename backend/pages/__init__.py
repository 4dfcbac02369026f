"""Server-rendered staff pages: HTML building with escaping by default (`markup`), views, sessions."""
