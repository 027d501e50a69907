"""API errors of the simulated Alibaba Cloud VPC API.

An :class:`ApiError` becomes an HTTP error response with the body shape the
real API uses: ``{"RequestId", "HostId", "Code", "Message", "Recommend"}``.
"""

from __future__ import annotations

__all__ = ["ApiError", "HOST_ID", "missing", "invalid", "not_found", "configuring"]

HOST_ID = "vpc.aliyuncs.com"


class ApiError(Exception):
    """An error answer of the API (HTTP status + Alibaba error code)."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.headers = dict(headers or {})


def missing(param: str) -> ApiError:
    """400 ``MissingParameter`` (``MissingRegionId`` for RegionId), naming the parameter."""
    msg = f'The input parameter "{param}" that is mandatory for processing this request is not supplied.'
    if param == "RegionId":
        return ApiError(400, "MissingRegionId", msg)
    return ApiError(400, "MissingParameter", msg)


def invalid(param: str, detail: str = "") -> ApiError:
    """400 ``InvalidParameter``. ``detail`` must never contain a secret value."""
    msg = f'The specified parameter "{param}" is not valid.'
    if detail:
        msg += f" {detail}"
    return ApiError(400, "InvalidParameter", msg)


def not_found(code: str, what: str) -> ApiError:
    return ApiError(404, code, f"The specified {what} does not exist.")


def configuring() -> ApiError:
    return ApiError(400, "VpnGateway.Configuring", "The specified service is configuring.")
