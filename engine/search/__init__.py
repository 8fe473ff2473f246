"""Searches over the engine's state in Camunda 8.8's shape, for the REST API: the request language (`language`,
with the linear-time `$like` of `like`), the searchable resources (`catalogue`) and the rows of the state
(`rows`)."""
