"""The HTTP side of the platform: the Powertools REST resolver with one error mapping (`http_app`), the
caller from the authorizer context (`caller`), metering of every call (`metering`), the routes (`routes/`)
and the OpenAPI document built from them (`openapi`). Handlers in `functions/` are one line: `http_entry`."""

from speech_core.api import powertools_package, pydantic_plugins

# before any route imports Powertools or builds a model: Powertools' event_handler package loads without the
# resolvers no route uses, and pydantic skips its plugin scan where the environment disables every plugin
powertools_package.install()
pydantic_plugins.install()
