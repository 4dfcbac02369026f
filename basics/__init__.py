"""Basics shared by all three processes: the backend (`backend/`), the action server (`actions/`) and our Rasa
extensions (`bot/`).

Plain Python, python-stdnum and PyYAML only: nothing here imports rasa, rasa_sdk, aiohttp, SQLAlchemy or any of our
other packages, so each process can use it without crossing a boundary (tests/test_basics.py checks this).

- `languages`: the reply languages (sv, nb, en), the detectable ones (plus da), locale codes to a language;
- `references`: the one case-reference format (generation, check character, tolerant parsing, the shape);
- `national_ids`: Swedish, Norwegian and Danish national ID numbers (python-stdnum);
- `dates`: month names, the written date per language, the countries' time zones;
- `messages`: the message catalogues (messages/<language>/*.yml): every user-facing text, by language and key.
"""
