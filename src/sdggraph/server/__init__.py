"""The sdggraph web service: a FastAPI app (app.create_app) over routers.

Kept free of imports: the query worker processes import sdggraph.server.executor and should
not pay for FastAPI.
"""
