"""boto3's own apigatewaymanagementapi client, pointed at the adapter's callback port with endpoint_url.

Usage: python3 boto3_client.py CALLBACK_PORT. The credentials given here are fake on purpose: the adapter
signs with the function's own. Prints one line per call.
"""

import sys

import boto3
from botocore.exceptions import ClientError

client = boto3.client(
    "apigatewaymanagementapi",
    endpoint_url=f"http://127.0.0.1:{sys.argv[1]}",
    region_name="us-east-1",
    aws_access_key_id="unused",
    aws_secret_access_key="unused",
)
answer = client.post_to_connection(ConnectionId="R0oX/ab=", Data=b"pushed by boto3")
print("post_to_connection:", answer["ResponseMetadata"]["HTTPStatusCode"])
print("get_connection:", client.get_connection(ConnectionId="R0oX/ab=")["Identity"]["SourceIp"])
answer = client.delete_connection(ConnectionId="R0oX/ab=")
print("delete_connection:", answer["ResponseMetadata"]["HTTPStatusCode"])
try:
    client.post_to_connection(ConnectionId="gone=", Data=b"x")
except ClientError as error:
    print("post_to_connection gone:", error.response["Error"]["Code"])
