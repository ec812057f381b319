"""An MCP session through the official MCP Python SDK, as an agent runs it.

Usage: python3 mcp_sdk.py <gateway URL> <API key> <profile id>
Prints one JSON object with what the session saw; the e2e test asserts on it.
"""

import asyncio
import json
import sys

from mcp import ClientSession
from mcp.shared.exceptions import MCPError
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


async def main(base: str, key: str, profile: str) -> None:
    http = create_mcp_http_client(headers={"Authorization": f"Bearer {key}"})
    out = {}
    async with http, streamable_http_client(f"{base}/mcp", http_client=http) as (read, write):
        async with ClientSession(read, write) as session:
            init = await session.initialize()
            out["server"] = init.server_info.name
            out["protocol"] = init.protocol_version
            tools = await session.list_tools()
            out["tools"] = sorted(t.name for t in tools.tools)
            made = await session.call_tool(
                "postmantis.create_post",
                {"post": {"body": "through the SDK", "scheduled_at": "2099-01-01T00:00:00Z"}, "profiles": [profile]},
            )
            out["create_is_error"] = bool(made.is_error)
            created = json.loads(made.content[0].text)
            out["created"] = created
            post_id = (created.get("data") or created).get("id")
            got = await session.call_tool("postmantis.get_post", {"id": post_id})
            out["got"] = json.loads(got.content[0].text)
            # A path argument that is not a UUID is refused as invalid params.
            try:
                await session.call_tool("postmantis.get_post", {"id": "../webhooks"})
                out["bad_refused"] = ""
            except MCPError as e:
                out["bad_refused"] = str(e)
    print(json.dumps(out))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
