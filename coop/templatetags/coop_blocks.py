from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def render_block(context, block, **extra):
    """`{% render_block block %}`: the block's template with its context on top of the page's
    (so `request`, `user` and the CSRF token are there, as with `{% include %}`)."""
    if block is None:
        return ""
    block_template = context.template.engine.get_template(block.template)
    with context.push(**block.context, **extra):
        return block_template.render(context)
