"""A LangChain-style tool governed by the Magistrate fleet service.

In LangChain the function below would carry @tool (CrewAI: @tool, AutoGen: a registered function); the framework calls
it with the model's arguments. Governing it is one more decorator: the call becomes an intent, the service's policy
decides it, people approve it when the policy says so, and the body runs once, with a warrant.

    MAGISTRATE_URL=http://127.0.0.1:8443 MAGISTRATE_TOKEN=mgt_... python3 example.py
"""

import os
import sys

from magistrate_client import MagistrateClient, ToolDenied

client = MagistrateClient(os.environ.get("MAGISTRATE_URL", "http://127.0.0.1:8443"), os.environ["MAGISTRATE_TOKEN"])


def waiting(request_id):
    print(f"pending {request_id}", flush=True)  # an approver votes on this request (console, curl, chat...)


@client.governed("scale_service", justification="p99 latency above SLO for 10 minutes", on_pending=waiting)
def scale_service(service: str, instances: int) -> str:
    """Scale a service to the given number of instances."""  # what the model reads as the tool's description
    return f"{service} scaled to {instances} instances"


@client.governed("drop_table", justification="cleanup")
def drop_table(table: str) -> str:
    """Drop a database table."""
    return f"dropped {table}"


if __name__ == "__main__":
    print("result:", scale_service("checkout", instances=12), flush=True)
    try:
        drop_table("users")
        print("drop_table ran", flush=True)
        sys.exit(1)
    except ToolDenied as denied:
        # A LangChain tool would return this text to the model, so it can change course.
        print("denied:", denied.reason, flush=True)
