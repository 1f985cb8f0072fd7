"""Durable state in PostgreSQL: ORM tables, migrations, repositories (behind `ports`), engine factory."""
