"""Prints the botocore-computed SigV4 `Authorization` values that src/ws/sign_tests.rs checks against.

botocore's SigV4Auth is an independent signer (Python, PyPI `botocore`); the adapter signs with the Rust
`aws-sigv4` crate. Run `pip install botocore && python3 tests/ws_support/sigv4_vectors.py` and paste the
output into BOTOCORE_VECTORS when the cases change.
"""

import datetime
from unittest import mock

import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

KEY = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLETOKEN/with+slash=="
WHEN = datetime.datetime(2024, 3, 16, 0, 46, 22)

# (name, method, url, body, region, session token?)
CASES = [
    ("post_id_ending_in_equals", "POST", "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/@connections/R0oXdeZ2IAMCJqA%3D", b'{"tick":1}', "us-east-1", False),
    ("get_id_with_slash_plus_equals", "GET", "https://abc123defg.execute-api.us-east-1.amazonaws.com/prod/@connections/ab%2Fcd%2Bef%3D%3D", b"", "us-east-1", True),
    ("delete_custom_domain_base_path", "DELETE", "https://ws.example.com/chat/v1/@connections/Zm9v%2Fbar%3D", b"", "eu-west-1", True),
    ("post_local_port", "POST", "http://127.0.0.1:4510/stage/@connections/x%3D", b"hello", "us-west-2", False),
]


def authorization(method, url, body, region, token):
    credentials = Credentials(KEY, SECRET, TOKEN if token else None)
    request = AWSRequest(method=method, url=url, data=body)
    with mock.patch.object(botocore.auth, "get_current_datetime", return_value=WHEN):
        botocore.auth.SigV4Auth(credentials, "execute-api", region).add_auth(request)
    return request.headers["Authorization"]


if __name__ == "__main__":
    for name, method, url, body, region, token in CASES:
        print(f'    ("{name}", "{authorization(method, url, body, region, token)}"),')
