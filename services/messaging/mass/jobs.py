"""Mass-send job runner; `job_runner` is entered by the messaging app's lifespan."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI


@asynccontextmanager
async def job_runner(app: FastAPI) -> AsyncIterator[None]:
    yield
