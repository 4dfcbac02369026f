"""Rasa input/output channels of the assistant.

`bot.channels.teams.TeamsInput` is the Microsoft Teams channel (employees report incidents there);
`bot.channels.cards` builds and parses the Adaptive Cards it offers. Nothing here imports `backend/`.
"""
