"""A room's wall display: the room's case in progress, for the whole team to read from 3 m away.

A display is a browser an administrator enrolled for one room with a one-time code
(``accounts.devices.claim_pairing``); nobody signs in on it. It reads that room's current case
and nothing else, writes nothing, and has no idle logoff. It sits above ``checklists``, whose
selectors it reads, beside ``review``.
"""
