"""aiohttp handlers: `api` (service and requester endpoints), `staff` (staff API)."""
