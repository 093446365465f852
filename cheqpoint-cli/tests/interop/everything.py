"""The reference "everything" MCP server driven by the official Python SDK's client, which offers
sampling, elicitation and roots; directly or through the cheqpoint gateway.

The server's command line comes from the environment (SERVER, SERVER_ARGS as a JSON list); the
process's environment is passed on to it. Prints one JSON object with what the client saw: the
tools as listed, and what sampling, elicitation, roots and progress gave.
"""

import asyncio
import json
import os

from mcp import ClientSession, StdioServerParameters, types
from mcp.client.stdio import stdio_client

ROOT = types.Root(uri="file:///srv/only", name="only")


async def sampling(context, params):
    return types.CreateMessageResult(
        role="assistant",
        content=types.TextContent(type="text", text="sampled by the client"),
        model="client-model",
        stop_reason="endTurn",
    )


async def elicitation(context, params):
    return types.ElicitResult(action="accept", content={"name": "Ada"})


async def roots(context):
    return types.ListRootsResult(roots=[ROOT])


def texts(result):
    return [block.text for block in result.content if getattr(block, "text", None) is not None]


def outcome(result):
    return {"texts": texts(result), "error": bool(getattr(result, "is_error", False))}


async def main():
    params = StdioServerParameters(
        command=os.environ["SERVER"],
        args=json.loads(os.environ["SERVER_ARGS"]),
        env=dict(os.environ),
    )
    async with stdio_client(params) as (read, write):
        async with ClientSession(
            read,
            write,
            sampling_callback=sampling,
            elicitation_callback=elicitation,
            list_roots_callback=roots,
        ) as session:
            await session.initialize()
            tools = await session.list_tools()
            sampled = await session.call_tool("trigger-sampling-request", {"prompt": "hi", "maxTokens": 5})
            elicited = await session.call_tool("trigger-elicitation-request", {})
            rooted = await session.call_tool("get-roots-list", {})
            progress = []

            async def on_progress(value, total, message):
                progress.append(value)

            long = await session.call_tool(
                "trigger-long-running-operation",
                {"duration": 0.2, "steps": 4},
                progress_callback=on_progress,
            )
            print(json.dumps({
                "tools": [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in tools.tools],
                "sampling": outcome(sampled),
                "elicitation": outcome(elicited),
                "roots": outcome(rooted),
                "long": outcome(long),
                "progress": progress,
            }))


asyncio.run(main())
