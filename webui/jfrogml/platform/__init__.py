"""The second upstream kind: JFrog ML's platform over gRPC through JFrog's SDK `frogml`.

Selected by JFROG_ML_PROTOCOL=grpc (webui/settings.py). Nothing here is imported
unless it is: `make run` needs neither grpc nor frogml (`pip install
'pond[jfrog-platform]'` adds them). docs/jfrog-platform.md maps the platform's
objects to Pond's resources and says what the platform cannot do.

- `client`   PlatformClient: JFrogMLClient's methods over the SDK's generated stubs.
- `convert`  protobuf messages → Pond's typed resources.
- `auth`     the bearer token and the tenant id (looked up over REST, cached).
"""
