"""A token made before tokens carried roles keeps working after the upgrade."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_role_less_token_owner_gets_the_registrys_own_right_and_people_keep_their_roles():
    from django.contrib.auth.models import Group, User

    executor = MigrationExecutor(connection)
    # Back to just before the upgrade that gives role-less token owners the registry's right.
    upgrade = executor.loader.graph.node_map[("registry", "0004_token_owners_keep_access")]
    executor.migrate([parent.key for parent in upgrade.parents if parent.key[0] == "registry"])
    from registry.models import ApiToken

    bot = User.objects.create_user("ci-bot")
    viewer = User.objects.create_user("vic")
    viewer.groups.add(Group.objects.get_or_create(name="viewer")[0])
    for user in (bot, viewer):
        ApiToken.objects.create(user=user, key_hash=f"{user.username:0<64}"[:64], prefix=user.username[:12])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    bot, viewer = User.objects.get(username="ci-bot"), User.objects.get(username="vic")
    assert bot.has_perm("registry.access_api")
    assert not viewer.has_perm("registry.access_api")  # a viewer's token stays read-only


def test_models_are_written_after_the_upgrade_that_drops_the_row_count():
    # 0003's triggers wrote to the row-count table on every insert and delete; a trigger left
    # behind by 0005 would fail every write once the table is gone.
    from registry import ids
    from registry.models import RegisteredModel

    executor = MigrationExecutor(connection)
    executor.migrate([("registry", "0004_token_owners_keep_access")])
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    model = RegisteredModel.objects.create(id=ids.new_id(ids.MODEL), name="after-upgrade", created_by="t")
    RegisteredModel.objects.filter(pk=model.pk).update(description="changed")
    RegisteredModel.objects.filter(pk=model.pk).delete()
    assert not RegisteredModel.objects.exists()
