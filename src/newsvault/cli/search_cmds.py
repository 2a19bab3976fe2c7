"""Commands of this stage are registered on newsvault.cli._app.main."""
