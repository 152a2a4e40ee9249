// The staff console's navigation sidebar (Django's nav_sidebar.js) starts collapsed, so a list has
// the whole width of the screen; « opens it, and the person's choice is kept as Django keeps it.
// Loaded in <head> without defer: it runs before nav_sidebar.js (deferred) reads the setting.
'use strict';
try {
    if (localStorage.getItem('django.admin.navSidebarIsOpen') === null) {
        localStorage.setItem('django.admin.navSidebarIsOpen', 'false');
    }
} catch (error) {
    // Storage blocked (private mode, a policy): Django's default, an open sidebar, stays.
}
