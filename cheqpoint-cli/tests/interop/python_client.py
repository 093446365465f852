"""An MCP client written with the official Python SDK, calling through the cheqpoint gateway.

The gateway's command line comes from the environment (GATEWAY, GATEWAY_ARGS as a JSON list);
the process's environment is passed on to it. Prints one JSON object with what it saw.
"""

import asyncio
import json
import os

from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client


def field(value, snake, camel):
    """A field under its name in SDK 2.x (snake case) or 1.x (camel case)."""
    return getattr(value, snake) if hasattr(value, snake) else getattr(value, camel)


def texts(result):
    return [block.text for block in result.content if getattr(block, "text", None) is not None]


async def main():
    params = StdioServerParameters(
        command=os.environ["GATEWAY"],
        args=json.loads(os.environ["GATEWAY_ARGS"]),
        env=dict(os.environ),
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(read, write) as session:
            initialized = await session.initialize()
            tools = await session.list_tools()
            echo = await session.call_tool("echo", {"say": "hi"})
            deleted = await session.call_tool("delete_file", {"path": "/py"})
            print(json.dumps({
                "server": field(initialized, "server_info", "serverInfo").name,
                "protocol": field(initialized, "protocol_version", "protocolVersion"),
                "tools": [tool.model_dump(by_alias=True, exclude_none=True) for tool in tools.tools],
                "echo": texts(echo),
                "echo_error": bool(field(echo, "is_error", "isError")),
                "deleted": texts(deleted),
                "deleted_error": bool(field(deleted, "is_error", "isError")),
            }))


asyncio.run(main())
