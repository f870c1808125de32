import { rpc } from "@web/core/network/rpc";
import { registry } from "@web/core/registry";
import {
    OutdatedPageWatcherService,
    outdatedPageWatcherService,
} from "@bus/outdated_page_watcher_service";

const { DateTime } = luxon;

/**
 * "The page is out of date" only when notifications may really have been missed.
 *
 * The bus websocket belongs to a SharedWorker. When the user opens another page in Chromium,
 * the page left enters the back/forward cache: it stays a client of the worker, so the worker
 * lives on, but Chromium closes its websocket; the worker reconnects at once (replaying what it
 * missed from its own last notification id) and tells the new page "reconnect". Odoo 18.0's
 * watcher then asks /bus/has_missed_notifications about the last notification the *new page*
 * received: none yet (null), and no bus.bus row has a null id, so the server answers "missed"
 * and every page opened this way showed the notice (docs/operations.md).
 *
 * As later Odoo 18.0 releases do: ask about the last notification any tab of this browser
 * received (the shared value the bus service keeps), and ask nothing when there is none.
 * Unlike them, still only on "reconnect": this worker version reports its state to a joining
 * tab as "update_state", so their check on "connect" would also run on every fresh page load
 * and compare a stale id (vacuumed since) with the server.
 * A notification that was really missed (its row vacuumed during a long disconnection) still
 * shows the notice. Tested end to end in tests/test_bus_navigation.py.
 */
export class Q2cOutdatedPageWatcherService extends OutdatedPageWatcherService {
    setup(env, { bus_service, multi_tab, notification }) {
        this.notification = notification;
        this.multi_tab = multi_tab;
        this.lastNotificationId = multi_tab.getSharedValue("last_notification_id");
        /** @deprecated */
        this.lastDisconnectDt = null;
        this.closeNotificationFn = undefined;
        bus_service.addEventListener("disconnect", () => {
            this.lastNotificationId = multi_tab.getSharedValue("last_notification_id");
            this.lastDisconnectDt = DateTime.now();
        });
        bus_service.addEventListener("reconnect", () => this.checkHasMissedNotifications());
        multi_tab.bus.addEventListener("shared_value_updated", ({ detail: { key } }) => {
            if (key === "bus.has_missed_notifications") {
                this.showOutdatedPageNotification();
            }
        });
    }

    async checkHasMissedNotifications() {
        if (!this.multi_tab.isOnMainTab() || !this.lastNotificationId) {
            return;
        }
        const hasMissedNotifications = await rpc(
            "/bus/has_missed_notifications",
            { last_notification_id: this.lastNotificationId },
            { silent: true }
        );
        if (hasMissedNotifications) {
            this.showOutdatedPageNotification();
            this.multi_tab.setSharedValue("bus.has_missed_notifications", Date.now());
        }
    }
}

registry.category("services").add(
    "bus.outdated_page_watcher",
    {
        ...outdatedPageWatcherService,
        start(env, services) {
            return new Q2cOutdatedPageWatcherService(env, services);
        },
    },
    { force: true }
);
